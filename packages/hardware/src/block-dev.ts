// A block device (disk or swap device) with real, sparse contents and a latency model in
// simulated time. Models 512-byte sectors, one request at a time (a FIFO queue: a request
// starts when the previous one completes), seek + rotation for disks, a flat latency for SSDs,
// per-byte transfer time, and injected I/O errors. Does not model I/O schedulers, merging,
// caches on the device, or partial completion.
//
//   completeNs = max(nowNs, busyUntilNs) + service
//   service    = ssd: readNs|writeNs + bytes / bytesPerSec
//                hdd: seek(|sector - head|) + half a rotation + bytes / bytesPerSec
//   seek(d)    = 0 if d = 0, else seekMinNs + (seekMaxNs - seekMinNs) * d / nrSectors
import { BUG } from "@mmsim/base";
import type { ErrnoName, Rng } from "@mmsim/base";

export const SECTOR_SIZE = 512;
const BLOCK_SECTORS = 8; // contents are stored in 4 KiB blocks

/** Flat-latency solid-state model. */
export interface SsdModel {
  kind: "ssd";
  readNs: number;
  writeNs: number;
  bytesPerSec: number;
}

/** Rotating-disk model: linear seek between min and max, half a rotation on average. */
export interface HddModel {
  kind: "hdd";
  rpm: number;
  seekMinNs: number;
  seekMaxNs: number;
  bytesPerSec: number;
}

export type LatencyModel = SsdModel | HddModel;

/**
 * A consumer NVMe SSD at queue depth 1: ~70 µs per 4 KiB random read, ~20 µs per write (into
 * the drive's cache), 3.4 GB/s sequential (Samsung 970 EVO Plus data sheet: QD1 random read
 * 15K IOPS, random write 50K IOPS, 3,500 MB/s).
 */
export const DEFAULT_SSD: SsdModel = Object.freeze({ kind: "ssd", readNs: 70_000, writeNs: 20_000, bytesPerSec: 3.4e9 });

/**
 * A 7200 rpm SATA disk: 0.5 ms track-to-track to 15 ms full-stroke seek, 4.17 ms average
 * rotational delay, 200 MB/s media rate (typical desktop-drive data sheets, e.g. WD Blue 1TB).
 */
export const DEFAULT_HDD: HddModel = Object.freeze({ kind: "hdd", rpm: 7200, seekMinNs: 500_000, seekMaxNs: 15_000_000, bytesPerSec: 200e6 });

export type BlockOp = "read" | "write";

/** Outcome of a request: when it completes, and an errno if it failed. */
export interface IoResult {
  ok: boolean;
  errno: ErrnoName | null;
  /** simulated time (ns) at which the request completes (also for failed ones) */
  completeNs: number;
}

export interface BlockDeviceOptions {
  name: string;
  /** capacity in bytes (a multiple of 512) */
  bytes: number;
  model?: LatencyModel;
  /** sectors that always fail with EIO */
  badSectors?: Iterable<number>;
  /** probability that a request fails with EIO (drawn from `rng`) */
  errorRate?: number;
  rng?: Rng;
}

export class BlockDevice {
  readonly name: string;
  readonly nrSectors: number;
  readonly model: LatencyModel;
  readonly badSectors: Set<number>;
  errorRate: number;
  // statistics (like /sys/block/<dev>/stat)
  reads = 0;
  writes = 0;
  sectorsRead = 0;
  sectorsWritten = 0;
  errors = 0;
  /** total ns the device spent servicing requests */
  busyNs = 0;
  private busyUntilNs = 0;
  private head = 0;
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly rng: Rng | null;

  constructor(opts: BlockDeviceOptions) {
    if (!Number.isSafeInteger(opts.bytes) || opts.bytes <= 0 || opts.bytes % SECTOR_SIZE !== 0) BUG("BlockDevice", `size ${opts.bytes} is not a positive multiple of 512`);
    this.name = opts.name;
    this.nrSectors = opts.bytes / SECTOR_SIZE;
    this.model = opts.model ?? DEFAULT_SSD;
    this.badSectors = new Set(opts.badSectors ?? []);
    this.errorRate = opts.errorRate ?? 0;
    this.rng = opts.rng ?? null;
    if (this.errorRate > 0 && this.rng === null) BUG("BlockDevice", "an error rate needs an rng");
  }

  /** Capacity in bytes. */
  get bytes(): number {
    return this.nrSectors * SECTOR_SIZE;
  }

  /** Number of 4 KiB blocks holding data (host memory used). */
  get storedBlocks(): number {
    return this.blocks.size;
  }

  /**
   * Submits a read (fills `buf`) or write (stores `buf`) of buf.length bytes (a multiple of
   * 512) at `sector`, at simulated time `nowNs`. Data moves at once; the result says when the
   * request completes. A bad sector in the range, or an injected error, fails the whole
   * request with EIO and moves no data. Out-of-range requests are a Bug.
   */
  submit(op: BlockOp, sector: number, buf: Uint8Array, nowNs: number): IoResult {
    const n = buf.length / SECTOR_SIZE;
    if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(sector) || sector < 0 || sector + n > this.nrSectors) {
      BUG("BlockDevice.submit", `${this.name}: ${op} of ${buf.length} bytes at sector ${sector} outside ${this.nrSectors} sectors`);
    }
    const service = this.serviceNs(op, sector, buf.length);
    const start = Math.max(nowNs, this.busyUntilNs);
    const completeNs = start + service;
    this.busyUntilNs = completeNs;
    this.busyNs += service;
    this.head = sector + n;
    let failed = this.errorRate > 0 && this.rng!.nextFloat() < this.errorRate;
    for (let s = sector; !failed && s < sector + n; s++) if (this.badSectors.has(s)) failed = true;
    if (failed) {
      this.errors++;
      return { ok: false, errno: "EIO", completeNs };
    }
    if (op === "read") {
      this.reads++;
      this.sectorsRead += n;
      this.copyOut(sector, buf);
    } else {
      this.writes++;
      this.sectorsWritten += n;
      this.copyIn(sector, buf);
    }
    return { ok: true, errno: null, completeNs };
  }

  /** Service time of a request in ns under the latency model (head position matters for disks). */
  serviceNs(op: BlockOp, sector: number, bytes: number): number {
    const m = this.model;
    const transfer = (bytes * 1e9) / m.bytesPerSec;
    if (m.kind === "ssd") return (op === "read" ? m.readNs : m.writeNs) + transfer;
    const dist = Math.abs(sector - this.head);
    const seek = dist === 0 ? 0 : m.seekMinNs + ((m.seekMaxNs - m.seekMinNs) * dist) / this.nrSectors;
    const halfRotation = 60e9 / m.rpm / 2;
    return seek + halfRotation + transfer;
  }

  private copyOut(sector: number, buf: Uint8Array): void {
    for (let done = 0; done < buf.length; ) {
      const s = sector + done / SECTOR_SIZE;
      const blk = Math.floor(s / BLOCK_SECTORS);
      const off = (s - blk * BLOCK_SECTORS) * SECTOR_SIZE;
      const len = Math.min(BLOCK_SECTORS * SECTOR_SIZE - off, buf.length - done);
      const data = this.blocks.get(blk);
      if (data) buf.set(data.subarray(off, off + len), done);
      else buf.fill(0, done, done + len);
      done += len;
    }
  }

  private copyIn(sector: number, buf: Uint8Array): void {
    for (let done = 0; done < buf.length; ) {
      const s = sector + done / SECTOR_SIZE;
      const blk = Math.floor(s / BLOCK_SECTORS);
      const off = (s - blk * BLOCK_SECTORS) * SECTOR_SIZE;
      const len = Math.min(BLOCK_SECTORS * SECTOR_SIZE - off, buf.length - done);
      const src = buf.subarray(done, done + len);
      let data = this.blocks.get(blk);
      if (!data) {
        if (src.every((b) => b === 0)) {
          done += len;
          continue;
        }
        data = new Uint8Array(BLOCK_SECTORS * SECTOR_SIZE);
        this.blocks.set(blk, data);
      }
      data.set(src, off);
      if (data.every((b) => b === 0)) this.blocks.delete(blk);
      done += len;
    }
  }
}
