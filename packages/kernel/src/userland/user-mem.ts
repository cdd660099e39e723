// What malloc, as code running in a task, does to the kernel: brk, mmap, munmap, mremap and
// madvise system calls on the task's mm, and loads and stores of its own bookkeeping words
// through the MMU of the task's CPU (so its page faults and Rss are the task's). A store that
// faults without a fix-up (the heap was unmapped behind malloc's back) is a SIGSEGV of the task:
// it is thrown as UserFault and turned into the task's death by the Malloc entry points.
import type { Cpu } from "@mmsim/hardware";
import {
  MADV_DONTNEED, MAP_ANONYMOUS, MAP_PRIVATE, MREMAP_MAYMOVE, PROT_READ, PROT_WRITE, doBrk, doMadvise, doMremap, sysMmap,
  sysMunmap, userLoad, userMemcpy, userMemset, userStore, type FaultSignal, type MmStruct, type VirtualMemory,
} from "@mmsim/virtual";

const TWO32 = 2 ** 32;

/** A fault malloc's own access took: the task dies of it (SIGSEGV, or SIGBUS). */
export class UserFault {
  constructor(readonly signal: FaultSignal) {}
}

/** The task's memory and system calls as malloc sees them. */
export class UserMem {
  private readonly word = new Uint8Array(8);
  private readonly words = new Uint32Array(this.word.buffer);

  constructor(
    private readonly vmm: VirtualMemory,
    readonly mm: MmStruct,
    private readonly cpu: Cpu,
  ) {}

  /** The current program break (glibc's __curbrk). */
  get brk(): number {
    return this.mm.brk;
  }

  /** sbrk(increment): the old break, or -1 when brk(2) refused (ENOMEM). */
  sbrk(increment: number): number {
    const old = this.mm.brk;
    const want = old + increment;
    return doBrk(this.vmm, this.mm, want) === want ? old : -1;
  }

  /** mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0): the address or -errno. */
  mmap(len: number): number {
    return sysMmap(this.vmm, this.mm, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
  }

  munmap(addr: number, len: number): number {
    return sysMunmap(this.vmm, this.mm, addr, len);
  }

  /** mremap(addr, oldLen, newLen, MREMAP_MAYMOVE): the new address or -errno. */
  mremap(addr: number, oldLen: number, newLen: number): number {
    return doMremap(this.vmm, this.mm, addr, oldLen, newLen, MREMAP_MAYMOVE);
  }

  madviseDontneed(addr: number, len: number): number {
    return doMadvise(this.vmm, this.mm, addr, len, MADV_DONTNEED);
  }

  /** Stores the 64-bit word (lo, hi) at addr; throws UserFault when the task would die. */
  store64(addr: number, lo: number, hi: number): void {
    this.words[0] = lo;
    this.words[1] = hi;
    const sig = userStore(this.vmm, this.mm, this.cpu, addr, this.word);
    if (sig !== null) throw new UserFault(sig);
  }

  /** Stores a size word (below 2^53) at addr. */
  storeSize(addr: number, value: number): void {
    this.store64(addr, value % TWO32 >>> 0, Math.floor(value / TWO32));
  }

  /** Loads the 64-bit word at addr as a number (exact below 2^53); throws UserFault. */
  load64(addr: number): number {
    const sig = userLoad(this.vmm, this.mm, this.cpu, addr, this.word);
    if (sig !== null) throw new UserFault(sig);
    return this.words[1]! * TWO32 + this.words[0]!;
  }

  /** memset(addr, byte, len); throws UserFault. */
  memset(addr: number, byte: number, len: number): void {
    const sig = userMemset(this.vmm, this.mm, this.cpu, addr, byte, len);
    if (sig !== null) throw new UserFault(sig);
  }

  /** memcpy(dst, src, len) of non-overlapping ranges; throws UserFault. */
  memcpy(dst: number, src: number, len: number): void {
    const sig = userMemcpy(this.vmm, this.mm, this.cpu, dst, src, len);
    if (sig !== null) throw new UserFault(sig);
  }

  /** Reads len bytes (for tests and checks); throws UserFault. */
  read(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    const sig = userLoad(this.vmm, this.mm, this.cpu, addr, out);
    if (sig !== null) throw new UserFault(sig);
    return out;
  }
}
