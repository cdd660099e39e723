import { describe, expect, it } from "vitest";
import { MiB, Rng } from "@mmsim/base";
import { BlockDevice, DEFAULT_HDD } from "./block-dev";
import { DmaEngine } from "./dma";
import { Ram } from "./ram";

const page = (b: number) => new Uint8Array(4096).fill(b);

describe("BlockDevice", () => {
  it("stores data sparsely and reads back what was written; unwritten sectors read as zeros", () => {
    const dev = new BlockDevice({ name: "vda", bytes: 64 * MiB });
    dev.submit("write", 8, page(7), 0);
    const buf = new Uint8Array(8192).fill(1);
    dev.submit("read", 4, buf, 0); // sectors 4..19: half of block 0, block 1 (written), half of block 2
    expect(buf[0]).toBe(0);
    expect(buf[2047]).toBe(0);
    expect(buf[2048]).toBe(7);
    expect(buf[6143]).toBe(7);
    expect(buf[6144]).toBe(0);
    expect(dev.storedBlocks).toBe(1);
    dev.submit("write", 8, page(0), 0);
    expect(dev.storedBlocks).toBe(0);
  });

  it("charges an SSD its flat latency plus transfer and queues requests FIFO", () => {
    const dev = new BlockDevice({ name: "vda", bytes: 64 * MiB });
    const t = 70_000 + (4096 * 1e9) / 3.4e9;
    expect(dev.submit("read", 0, page(0), 0).completeNs).toBeCloseTo(t, 6);
    expect(dev.submit("read", 8, page(0), 0).completeNs).toBeCloseTo(2 * t, 6);
    expect(dev.submit("write", 8, page(1), 1e9).completeNs).toBeCloseTo(1e9 + 20_000 + (4096 * 1e9) / 3.4e9, 6);
  });

  it("charges a disk seek by distance, half a rotation and transfer", () => {
    const dev = new BlockDevice({ name: "sda", bytes: 1024 * MiB, model: DEFAULT_HDD });
    const rot = 60e9 / 7200 / 2;
    const xfer = (4096 * 1e9) / 200e6;
    expect(dev.serviceNs("read", 0, 4096)).toBeCloseTo(rot + xfer, 6);
    const half = dev.nrSectors / 2;
    expect(dev.serviceNs("read", half, 4096)).toBeCloseTo(500_000 + 14_500_000 / 2 + rot + xfer, 6);
  });

  it("fails a request touching a bad sector with EIO and moves no data", () => {
    const dev = new BlockDevice({ name: "vda", bytes: 64 * MiB, badSectors: [13] });
    expect(dev.submit("write", 8, page(5), 0)).toMatchObject({ ok: false, errno: "EIO" });
    expect(dev.storedBlocks).toBe(0);
    expect(dev.submit("write", 16, page(5), 0).ok).toBe(true);
    expect([dev.errors, dev.writes]).toEqual([1, 1]);
  });

  it("injects errors at a seeded rate, reproducibly", () => {
    const run = () => {
      const dev = new BlockDevice({ name: "vda", bytes: 64 * MiB, errorRate: 0.1, rng: new Rng(42) });
      for (let i = 0; i < 1000; i++) dev.submit("read", (i % 100) * 8, page(0), 0);
      return dev.errors;
    };
    const n = run();
    expect(n).toBe(run());
    expect(n).toBeGreaterThan(60);
    expect(n).toBeLessThan(140);
  });
});

describe("DmaEngine", () => {
  it("moves pages between a device and RAM, counted apart from CPU copies", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    const dev = new BlockDevice({ name: "vda", bytes: 64 * MiB });
    const dma = new DmaEngine(ram);
    ram.fill(0x5000, 4096, 0x3c);
    expect(dma.ramToDevice(dev, 80, 0x5000, 4096, 0).ok).toBe(true);
    expect(dma.deviceToRam(dev, 80, 0x9000, 4096, 0).ok).toBe(true);
    expect(ram.readU32(0x9ffc)).toBe(0x3c3c3c3c);
    expect([dma.bytes, dma.transfers, ram.cpuCopyBytes]).toEqual([8192, 2, 0]);
  });

  it("leaves RAM unchanged when the device read fails", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    const dev = new BlockDevice({ name: "vda", bytes: 64 * MiB, badSectors: [0] });
    const dma = new DmaEngine(ram);
    ram.fill(0x9000, 4096, 1);
    expect(dma.deviceToRam(dev, 0, 0x9000, 4096, 0).errno).toBe("EIO");
    expect(ram.readU8(0x9000)).toBe(1);
    expect(dma.bytes).toBe(0);
  });
});
