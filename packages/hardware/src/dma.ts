// A DMA engine moving data between block devices and RAM without the CPU: the path a page
// cache read or a swap-in takes. Counted apart from CPU copies (ram.cpuCopyBytes), so that,
// as seed 001 shows, read() (DMA into the page cache, then a CPU copy to the user buffer) can be
// compared with mmap (DMA only). Does not model IOMMUs, scatter-gather lists or bus bandwidth.
import type { Ram } from "./ram";
import type { BlockDevice, IoResult } from "./block-dev";
import { SECTOR_SIZE } from "./block-dev";
import { BUG } from "@mmsim/base";

export class DmaEngine {
  /** bytes moved between devices and RAM */
  bytes = 0;
  /** transfers submitted (successful or not) */
  transfers = 0;

  constructor(readonly ram: Ram) {}

  /**
   * Reads `len` bytes (a multiple of 512) from `dev` at `sector` into RAM at `pa`. Returns
   * the device's result; on failure RAM is unchanged.
   */
  deviceToRam(dev: BlockDevice, sector: number, pa: number, len: number, nowNs: number): IoResult {
    if (len % SECTOR_SIZE !== 0) BUG("DmaEngine.deviceToRam", `length ${len} not a multiple of 512`);
    const buf = new Uint8Array(len);
    const r = dev.submit("read", sector, buf, nowNs);
    this.transfers++;
    if (r.ok) {
      this.ram.write(pa, buf);
      this.bytes += len;
    }
    return r;
  }

  /** Writes `len` bytes of RAM at `pa` to `dev` at `sector`. Returns the device's result. */
  ramToDevice(dev: BlockDevice, sector: number, pa: number, len: number, nowNs: number): IoResult {
    if (len % SECTOR_SIZE !== 0) BUG("DmaEngine.ramToDevice", `length ${len} not a multiple of 512`);
    const r = dev.submit("write", sector, this.ram.read(pa, len), nowNs);
    this.transfers++;
    if (r.ok) this.bytes += len;
    return r;
  }
}
