// A network interface card on an Ethernet link: the device a TCP socket's data leaves by. It
// reads each transmit request from RAM with its own bus-master DMA (a gather list of physical
// ranges, as a scatter-gather NIC with NETIF_F_SG takes an skb's fragments), cuts the payload
// into MSS-sized TCP segments (TCP segmentation offload) and puts the frames on a link of a fixed
// bit rate, one request after the other. What reaches the far end is recorded: its length, a
// running FNV-1a hash of the payload, and the bytes themselves when capture is on. Does not model
// receive, checksums, interrupts and their coalescing, queues other than FIFO, or loss.
//
//   completeNs = max(nowNs, busyUntilNs) + requestNs + wireBytes * 8 / bitsPerSec
//   wireBytes  = payload + frames * (TCP/IP headers + Ethernet framing),  frames = ceil(payload / mss)
import { BUG } from "@mmsim/base";
import type { Ram } from "./ram";

/** IPv4 header (20) + TCP header (20) + the timestamps option (12, net.ipv4.tcp_timestamps=1): RFC 791, 9293, 7323. */
export const TCP_IP_HEADER_BYTES = 52;
/** Ethernet header (14) + FCS (4) + preamble and SFD (8) + inter-frame gap (12): IEEE 802.3. */
export const ETH_FRAME_OVERHEAD_BYTES = 38;
/** The Ethernet MTU (ETH_DATA_LEN, include/uapi/linux/if_ether.h). */
export const ETH_DATA_LEN = 1500;
/** 32-bit FNV-1a offset basis and prime (Fowler–Noll–Vo, draft-eastlake-fnv). */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The link and the device's per-request cost. */
export interface NicModel {
  /** link rate in bits per second */
  bitsPerSec: number;
  /** MTU in bytes (the MSS is the MTU less TCP_IP_HEADER_BYTES) */
  mtu: number;
  /** per transmit request: the doorbell write, the descriptor fetch and the first DMA read over PCIe */
  requestNs: number;
}

/**
 * A 10 Gbit/s Ethernet NIC, MTU 1500. The ~1 µs per request is the PCIe round trips of a
 * doorbell, a descriptor fetch and a DMA read (Neugebauer et al., "Understanding PCIe
 * performance for end host networking", SIGCOMM 2018: 0.5-1 µs per round trip and read).
 */
export const DEFAULT_NIC: NicModel = Object.freeze({ bitsPerSec: 10e9, mtu: ETH_DATA_LEN, requestNs: 1000 });

export interface NicOptions {
  /** interface name (default eth0) */
  name?: string;
  model?: NicModel;
  /** keep the first captureLimit payload bytes that reach the wire (default 0: none; costs host memory) */
  captureLimit?: number;
}

export class Nic {
  readonly name: string;
  readonly model: NicModel;
  /** the TCP payload of one full frame: mtu - TCP_IP_HEADER_BYTES (1448 at MTU 1500) */
  readonly mss: number;
  // statistics (as /proc/net/dev's transmit columns, and the DMA reads)
  /** frames put on the link */
  txPackets = 0;
  /** payload bytes put on the link */
  txBytes = 0;
  /** transmit requests (one DMA gather each) */
  txRequests = 0;
  /** bytes the NIC read from RAM by DMA */
  dmaBytes = 0;
  /** FNV-1a hash of every payload byte sent, in order */
  wireHash = FNV_OFFSET;
  /** total ns the link was busy */
  busyNs = 0;
  private busyUntilNs = 0;
  private captured: Uint8Array | null;
  private capturedLen = 0;
  private readonly captureLimit: number;

  constructor(
    private readonly ram: Ram,
    opts: NicOptions = {},
  ) {
    this.name = opts.name ?? "eth0";
    this.model = opts.model ?? DEFAULT_NIC;
    this.mss = this.model.mtu - TCP_IP_HEADER_BYTES;
    if (!(this.mss > 0) || !(this.model.bitsPerSec > 0)) BUG("Nic", `MTU ${this.model.mtu} or rate ${this.model.bitsPerSec} leaves no payload`);
    this.captureLimit = opts.captureLimit ?? 0;
    this.captured = this.captureLimit > 0 ? new Uint8Array(Math.min(4096, this.captureLimit)) : null;
  }

  /** When the link is free again (ns). */
  get idleAtNs(): number {
    return this.busyUntilNs;
  }

  /**
   * Transmits one request: `n` gather entries (physical address pas[i], length lens[i]) read by
   * DMA now, in order, as one TSO super-packet. Returns the simulated time (ns) at which its last
   * frame has left the link; a request waits for the one before it.
   */
  xmit(pas: readonly number[], lens: readonly number[], n: number, nowNs: number): number {
    let payload = 0;
    for (let i = 0; i < n; i++) {
      const len = lens[i]!;
      if (!(len > 0)) BUG("Nic.xmit", `gather entry ${i} has length ${len}`);
      this.onWire(this.ram.read(pas[i]!, len));
      payload += len;
    }
    if (payload === 0) BUG("Nic.xmit", "an empty request");
    const frames = Math.ceil(payload / this.mss);
    const wireBytes = payload + frames * (TCP_IP_HEADER_BYTES + ETH_FRAME_OVERHEAD_BYTES);
    const service = this.model.requestNs + (wireBytes * 8e9) / this.model.bitsPerSec;
    const done = Math.max(nowNs, this.busyUntilNs) + service;
    this.busyUntilNs = done;
    this.busyNs += service;
    this.txRequests++;
    this.txPackets += frames;
    this.txBytes += payload;
    this.dmaBytes += payload;
    return done;
  }

  private onWire(bytes: Uint8Array): void {
    let h = this.wireHash;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
    this.wireHash = h >>> 0;
    const cap = this.captured;
    if (cap === null) return;
    const keep = Math.min(bytes.length, this.captureLimit - this.capturedLen);
    if (keep <= 0) return;
    if (this.capturedLen + keep > cap.length) {
      const grown = new Uint8Array(Math.min(this.captureLimit, Math.max(cap.length * 2, this.capturedLen + keep)));
      grown.set(cap.subarray(0, this.capturedLen));
      this.captured = grown;
    }
    this.captured!.set(bytes.subarray(0, keep), this.capturedLen);
    this.capturedLen += keep;
  }

  /** The first payload bytes sent (at most captureLimit), or null when capture is off. */
  wire(): Uint8Array | null {
    return this.captured === null ? null : this.captured.slice(0, this.capturedLen);
  }
}

/** The FNV-1a hash a Nic's wireHash has after sending `bytes` (to check a wire against a file). */
export function fnv1a(bytes: Uint8Array, h = FNV_OFFSET): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}
