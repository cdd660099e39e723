import { describe, expect, it } from "vitest";
import { MiB } from "@mmsim/base";
import { DEFAULT_NIC, ETH_FRAME_OVERHEAD_BYTES, Nic, TCP_IP_HEADER_BYTES, fnv1a } from "./nic";
import { Ram } from "./ram";

describe("Nic", () => {
  it("has the MSS of a TCP/IPv4 segment with timestamps at MTU 1500: 1448 bytes", () => {
    // 1500 - 20 (IPv4) - 20 (TCP) - 12 (timestamps option)
    expect(new Nic(new Ram({ bytes: MiB })).mss).toBe(1448);
  });

  it("reads a gather list from RAM by DMA and puts it on the wire in order, hashed, its first bytes kept", () => {
    const ram = new Ram({ bytes: MiB });
    ram.write(0x1000, new Uint8Array([1, 2, 3]));
    ram.write(0x5000, new Uint8Array([4, 5]));
    const nic = new Nic(ram, { captureLimit: 4 });
    nic.xmit([0x1000, 0x5000], [3, 2], 2, 0);
    expect([...nic.wire()!]).toEqual([1, 2, 3, 4]); // the first captureLimit bytes
    expect(nic.wireHash).toBe(fnv1a(new Uint8Array([1, 2, 3, 4, 5])));
    expect([nic.txRequests, nic.txPackets, nic.txBytes, nic.dmaBytes]).toEqual([1, 1, 5, 5]);
  });

  it("cuts a TSO request into MSS frames and charges the link for headers and framing, FIFO", () => {
    const nic = new Nic(new Ram({ bytes: MiB }));
    // 4096 bytes: frames of 1448, 1448, 1200; each carries 52 bytes of TCP/IP headers and 38 of Ethernet framing
    const wire = 4096 + 3 * (TCP_IP_HEADER_BYTES + ETH_FRAME_OVERHEAD_BYTES);
    const t = DEFAULT_NIC.requestNs + (wire * 8) / 10;
    expect(nic.xmit([0], [4096], 1, 0)).toBeCloseTo(t, 6);
    expect(nic.txPackets).toBe(3);
    // the second request waits for the first
    expect(nic.xmit([0], [4096], 1, 0)).toBeCloseTo(2 * t, 6);
    expect(nic.xmit([0], [4096], 1, 1e6)).toBeCloseTo(1e6 + t, 6);
    expect(nic.wire()).toBeNull();
  });

  it("an empty request is a Bug", () => {
    const nic = new Nic(new Ram({ bytes: MiB }));
    expect(() => nic.xmit([0], [0], 1, 0)).toThrow(/Nic.xmit/);
  });
});
