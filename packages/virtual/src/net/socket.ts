// A TCP socket's send side, at the level that decides copies and time (net/socket.c,
// net/ipv4/tcp.c tcp_sendmsg_locked, net/core/skbuff.c, net/core/sock.c): a socket is a struct
// file in the task's descriptor table (a sockfs inode); write() copies the user's bytes once,
// by the CPU, into page fragments the socket allocates from the buddy allocator (order 3,
// falling back to one page: skb_page_frag_refill), and each sk_buff, at most size_goal bytes
// and MAX_SKB_FRAGS fragments, goes to the NIC by DMA (one DMA copy). sendfile's pages are
// attached to skbs without a copy (MSG_SPLICE_PAGES on a scatter-gather NIC; splice.ts).
//
//   write(sock, buf, n)                         sendfile(sock, fd, NULL, n)
//     copy_from_user -> page frag (CPU copy)      page-cache folios -> skb frags (no copy)
//            \                                         /
//             skb (<= size_goal = 45 * 1448 bytes, <= 17 frags) --tcp_push--> NIC DMA -> wire
//
// The far end receives everything at once and acknowledges at once: an skb is freed (its
// fragments' page references dropped) when the NIC has sent it. Every call pushes what it queued
// (TCP_NODELAY, no autocorking); a writer sleeps while sk_wmem_queued >= sk_sndbuf. Not
// modelled: the handshake, congestion and receive windows, retransmission, Nagle and autocork,
// the per-task page_frag (each socket has its own sk_frag), receive (the far end sends nothing
// and has shut its sending half: read() is 0), MSG_ZEROCOPY, and the skb heads' slab objects.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import type { Clock } from "@mmsim/base";
import type { Cpu, Nic } from "@mmsim/hardware";
import { GFP_KERNEL, __GFP_COMP, __GFP_DIRECT_RECLAIM, __GFP_NORETRY, __GFP_NOWARN } from "@mmsim/physical";
import type { MmStruct } from "../mm-types";
import type { FileSystem } from "../file/fs";
import { copyFromUser } from "../file/uaccess";

/** SKB_FRAG_PAGE_ORDER (include/net/sock.h): get_order(32768) = 3, 32 KiB fragments pages. */
export const SKB_FRAG_PAGE_ORDER = 3;
/** The room skb_page_frag_refill wants left in a fragment page (sk_page_frag_refill's 32 bytes). */
const FRAG_REFILL_MIN = 32;
/** MAX_SKB_FRAGS / net.core.max_skb_frags (include/linux/skbuff.h): 17 fragments per skb. */
export const MAX_SKB_FRAGS = 17;
/** GSO_LEGACY_MAX_SIZE (include/linux/netdevice.h): 65536, a virtio-net or Ethernet NIC's gso_max_size. */
export const GSO_MAX_SIZE = 65536;
/**
 * MAX_TCP_HEADER (include/net/tcp.h): L1_CACHE_ALIGN(128 + MAX_HEADER) = 320 with a distribution
 * config (MAX_HEADER = LL_MAX_HEADER 128 + 48 for tunnels).
 */
export const MAX_TCP_HEADER = 320;
/** tcp_wmem[2] (net/ipv4/tcp.c tcp_init): 4 MiB, the send buffer autotuning reaches on a fast link. */
export const TCP_WMEM_MAX = 4 * 1024 * 1024;
/** Errnos (include/uapi/asm-generic/errno-base.h). */
const ENOMEM = 12;
const EFAULT = 14;
const EPIPE = 32;
/** get_next_ino's first inode numbers are below this; sockfs inodes count from it (a look of socket:[N]). */
const SOCKFS_FIRST_INO = 40000;

/** The counters of the network path (mmsim's own), shown in /sys/kernel/debug/mmsim/io. */
export const NET_COUNTERS = [
  /** payload bytes and frames the NIC put on the wire */
  "mmsim_net_tx_bytes", "mmsim_net_tx_packets",
  /** the NIC's DMA reads of skbs (a subset of mmsim_dma_copies), and bytes */
  "mmsim_net_dma_copies", "mmsim_net_dma_copy_bytes",
] as const;
export type NetCounter = (typeof NET_COUNTERS)[number];

/** The machine's network stack: its NIC, its open sockets and their counters. */
export class NetStack {
  /** sockets created and not yet gone (closed ones stay until their skbs are sent) */
  readonly sockets: Socket[] = [];
  private nextIno = SOCKFS_FIRST_INO;
  declare readonly slot: Readonly<Record<NetCounter, number>>;

  constructor(
    readonly fs: FileSystem,
    readonly nic: Nic,
  ) {
    const slot = {} as Record<NetCounter, number>;
    for (const n of NET_COUNTERS) slot[n] = fs.vmm.phys.counters.id(n);
    this.slot = slot;
  }

  get clock(): Clock {
    return this.fs.clock;
  }

  count(name: NetCounter, delta = 1): void {
    this.fs.vmm.phys.counters.add(this.slot[name], delta);
  }

  /** tcp_xmit_size_goal: the largest skb, whole MSS segments under GSO_MAX_SIZE - 1 - MAX_TCP_HEADER (65160 at MSS 1448). */
  get sizeGoal(): number {
    const mss = this.nic.mss;
    return Math.max(Math.floor((GSO_MAX_SIZE - 1 - MAX_TCP_HEADER) / mss) * mss, mss);
  }

  /** A new sockfs inode number (get_next_ino). */
  newIno(): number {
    return this.nextIno++;
  }
}

/** struct socket + struct tcp_sock's send side. */
export class Socket {
  /** sk_sndbuf */
  sndbuf = TCP_WMEM_MAX;
  /** sk_wmem_queued: bytes of skbs not yet sent */
  wmemQueued = 0;
  /** sk_frag: the current fragment page (head pfn, -1: none), its order and the next free byte */
  fragPfn = -1;
  fragOrder = 0;
  fragOffset = 0;
  /** the skb being filled: gather entries (physical address, length) and the own pages they hold */
  readonly pas: number[] = [];
  readonly lens: number[] = [];
  skbLen = 0;
  /** the page (head pfn) of the skb's last fragment */
  lastPage = -1;
  /** fragment pages the skb being filled holds a reference on (pfn, order) */
  private readonly heldPfn: number[] = [];
  private readonly heldOrder: number[] = [];
  /** skbs on the wire (FIFO): completion ns, bytes, and the end of their held pages in the flat arrays */
  readonly txDone: number[] = [];
  readonly txLen: number[] = [];
  readonly txHeldEnd: number[] = [];
  readonly txHeldPfn: number[] = [];
  readonly txHeldOrder: number[] = [];
  txHead = 0;
  private txHeldHead = 0;
  /** close() ran: the socket leaves the stack once its skbs are sent */
  closed = false;

  constructor(
    readonly net: NetStack,
    readonly ino: number,
  ) {}

  /** skbs still on the wire */
  get inFlight(): number {
    return this.txDone.length - this.txHead;
  }

  /** Holds a reference on fragment page pfn for the skb being filled (page_ref_inc). */
  hold(pfn: number, order: number): void {
    const p = this.net.fs.vmm.pages;
    p.refcount[p.idx(pfn)]!++;
    this.heldPfn.push(pfn);
    this.heldOrder.push(order);
  }

  /** Moves the filled skb's page references to the in-flight queue. */
  retireHeld(doneNs: number, len: number): void {
    for (let i = 0; i < this.heldPfn.length; i++) {
      this.txHeldPfn.push(this.heldPfn[i]!);
      this.txHeldOrder.push(this.heldOrder[i]!);
    }
    this.heldPfn.length = 0;
    this.heldOrder.length = 0;
    this.txDone.push(doneNs);
    this.txLen.push(len);
    this.txHeldEnd.push(this.txHeldPfn.length);
  }

  /** The oldest in-flight skb is sent: its bytes leave sk_wmem_queued, its page references go. */
  completeOne(): void {
    const h = this.txHead++;
    this.wmemQueued -= this.txLen[h]!;
    const end = this.txHeldEnd[h]!;
    for (let i = this.txHeldHead; i < end; i++) fragPut(this.net, this.txHeldPfn[i]!, this.txHeldOrder[i]!);
    this.txHeldHead = end;
    if (this.txHead === this.txDone.length) {
      for (const a of [this.txDone, this.txLen, this.txHeldEnd, this.txHeldPfn, this.txHeldOrder]) a.length = 0;
      this.txHead = 0;
      this.txHeldHead = 0;
    }
  }
}

/** put_page of a fragment page (__free_pages: the last reference frees it to the buddy allocator). */
function fragPut(net: NetStack, pfn: number, order: number): void {
  net.fs.vmm.phys.freePages(pfn, order);
}

/**
 * skb_page_frag_refill: keeps sk_frag when only the socket holds it (then from offset 0) or when
 * 32 bytes are left; else drops it and allocates an order-3 page without direct reclaim or
 * retries, falling back to one GFP_KERNEL page. False when no page could be had.
 */
function fragRefill(sock: Socket): boolean {
  const net = sock.net;
  const vmm = net.fs.vmm;
  if (sock.fragPfn >= 0) {
    if (vmm.pages.refcount[vmm.pages.idx(sock.fragPfn)] === 1) {
      sock.fragOffset = 0;
      return true;
    }
    if (sock.fragOffset + FRAG_REFILL_MIN <= PAGE_SIZE << sock.fragOrder) return true;
    fragPut(net, sock.fragPfn, sock.fragOrder);
    sock.fragPfn = -1;
  }
  sock.fragOffset = 0;
  const gfp = (GFP_KERNEL & ~__GFP_DIRECT_RECLAIM) | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY;
  let pfn = vmm.phys.allocPages(gfp, SKB_FRAG_PAGE_ORDER);
  let order = SKB_FRAG_PAGE_ORDER;
  if (pfn < 0) {
    pfn = vmm.phys.allocPages(GFP_KERNEL, 0);
    order = 0;
  }
  if (pfn < 0) return false;
  sock.fragPfn = pfn;
  sock.fragOrder = order;
  return true;
}

/** Completes the skbs sent by `ns` on every socket; a closed socket whose skbs are all sent goes. */
export function netRunUntil(net: NetStack, ns: number): void {
  const socks = net.sockets;
  for (let s = 0; s < socks.length; s++) {
    const sock = socks[s]!;
    while (sock.txHead < sock.txDone.length && sock.txDone[sock.txHead]! <= ns) sock.completeOne();
    if (sock.closed && sock.inFlight === 0) {
      socks.splice(s--, 1);
    }
  }
}

/** sk_stream_wait_memory: sleeps (the clock moves) until the oldest skb is sent. */
function waitOne(sock: Socket): void {
  const clock = sock.net.clock;
  const t = sock.txDone[sock.txHead]!;
  if (t > clock.ns) clock.ns = t;
  netRunUntil(sock.net, clock.ns);
}

/** Waits until every skb of the socket is on the wire (the time the last byte has left). */
export function sockDrain(sock: Socket): void {
  while (sock.inFlight > 0) waitOne(sock);
}

/**
 * tcp_push of the skb being filled: the NIC reads its fragments by DMA (one DMA copy) and sends
 * it; the skb stays queued, with its page references, until the NIC is done.
 */
export function tcpPush(sock: Socket): void {
  if (sock.skbLen === 0) return;
  const net = sock.net;
  const fs = net.fs;
  const nic = net.nic;
  const packets = nic.txPackets;
  const done = nic.xmit(sock.pas, sock.lens, sock.pas.length, net.clock.ns);
  fs.count("mmsim_dma_copies");
  fs.count("mmsim_dma_copy_bytes", sock.skbLen);
  net.count("mmsim_net_dma_copies");
  net.count("mmsim_net_dma_copy_bytes", sock.skbLen);
  net.count("mmsim_net_tx_bytes", sock.skbLen);
  net.count("mmsim_net_tx_packets", nic.txPackets - packets);
  sock.retireHeld(done, sock.skbLen);
  sock.pas.length = 0;
  sock.lens.length = 0;
  sock.skbLen = 0;
  sock.lastPage = -1;
}

/**
 * Appends `len` bytes at physical `pa`, in the page whose head is `page`, to the skb being
 * filled, coalescing with the last fragment when it ends at pa in the same page
 * (skb_can_coalesce). Returns whether a new fragment was started (it takes a page reference).
 */
export function skbAppend(sock: Socket, page: number, pa: number, len: number): boolean {
  const n = sock.pas.length;
  const merge = n > 0 && sock.lastPage === page && sock.pas[n - 1]! + sock.lens[n - 1]! === pa;
  if (merge) sock.lens[n - 1]! += len;
  else {
    sock.pas.push(pa);
    sock.lens.push(len);
    sock.lastPage = page;
  }
  sock.skbLen += len;
  return !merge;
}

/** Before a new skb: sk_stream_memory_free, else wait for the NIC; and room for another fragment. */
export function skbMakeRoom(sock: Socket, fragsNeeded: number): void {
  if (sock.skbLen >= sock.net.sizeGoal || sock.pas.length + fragsNeeded > MAX_SKB_FRAGS) tcpPush(sock);
  if (sock.skbLen === 0) while (sock.wmemQueued >= sock.sndbuf) waitOne(sock);
}

/**
 * tcp_sendmsg_locked without zerocopy: copies `count` bytes of user memory at buf (mm's task on
 * cpu; faults allowed) into the socket's fragment pages, skbs of at most size_goal bytes, each
 * pushed when full and the last at the end of the call (write(2) counts the CPU copy). Returns the
 * bytes queued, or -EPIPE (closed), -EFAULT (nothing readable), -ENOMEM (no fragment page).
 */
export function tcpSendmsg(sock: Socket, mm: MmStruct, cpu: Cpu, buf: number, count: number): number {
  const net = sock.net;
  const vmm = net.fs.vmm;
  netRunUntil(net, net.clock.ns);
  if (sock.closed) return -EPIPE;
  let copied = 0;
  let err = 0;
  const goal = net.sizeGoal;
  while (copied < count) {
    skbMakeRoom(sock, 1);
    if (!fragRefill(sock)) {
      err = -ENOMEM;
      break;
    }
    const room = (PAGE_SIZE << sock.fragOrder) - sock.fragOffset;
    const copy = Math.min(goal - sock.skbLen, count - copied, room);
    const pa = sock.fragPfn * PAGE_SIZE + sock.fragOffset;
    const left = copyFromUser(vmm, mm, cpu, pa, buf + copied, copy);
    const n = copy - left;
    if (n > 0) {
      if (skbAppend(sock, sock.fragPfn, pa, n)) sock.hold(sock.fragPfn, sock.fragOrder);
      sock.fragOffset += n;
      sock.wmemQueued += n;
      copied += n;
    }
    if (left > 0) {
      err = -EFAULT;
      break;
    }
  }
  tcpPush(sock);
  return copied > 0 ? copied : err;
}

/** sock_alloc: a new socket of the stack (its sockfs inode number from get_next_ino). */
export function sockAlloc(net: NetStack): Socket {
  const sock = new Socket(net, net.newIno());
  net.sockets.push(sock);
  return sock;
}

/** sock_close: the socket's skbs still go out; its fragment page reference is dropped. */
export function sockRelease(sock: Socket): void {
  sock.closed = true;
  if (sock.fragPfn >= 0) fragPut(sock.net, sock.fragPfn, sock.fragOrder);
  sock.fragPfn = -1;
  netRunUntil(sock.net, sock.net.clock.ns);
}

/**
 * Checks the stack: every socket's sk_wmem_queued equals its unsent skbs' bytes, the skb being
 * filled is empty between calls, and each fragment page's refcount is the references the socket
 * and its skbs hold.
 */
export function verifyNet(net: NetStack): void {
  const refs = new Map<number, number>();
  for (const sock of net.sockets) {
    let queued = 0;
    for (let h = sock.txHead; h < sock.txDone.length; h++) queued += sock.txLen[h]!;
    if (queued !== sock.wmemQueued) BUG("verifyNet", `socket ${sock.ino}: sk_wmem_queued ${sock.wmemQueued} but ${queued} bytes unsent`);
    if (sock.skbLen !== 0) BUG("verifyNet", `socket ${sock.ino}: an skb of ${sock.skbLen} bytes was never pushed`);
    if (sock.fragPfn >= 0) refs.set(sock.fragPfn, (refs.get(sock.fragPfn) ?? 0) + 1);
    const from = sock.txHead === 0 ? 0 : sock.txHeldEnd[sock.txHead - 1]!;
    for (let i = from; i < sock.txHeldPfn.length; i++) refs.set(sock.txHeldPfn[i]!, (refs.get(sock.txHeldPfn[i]!) ?? 0) + 1);
  }
  const p = net.fs.vmm.pages;
  for (const [pfn, n] of refs) {
    if (p.refcount[p.idx(pfn)] !== n) BUG("verifyNet", `fragment page ${pfn}: refcount ${p.refcount[p.idx(pfn)]} but ${n} references`);
  }
}
