// glibc's malloc API as a simulated process calls it (malloc/malloc.c __libc_malloc, __libc_free,
// __libc_calloc, __libc_realloc, __libc_mallopt, __malloc_trim), single-threaded: the main arena
// only. The entry points return what C gets (a pointer, NULL with errno ENOMEM, mallopt's 1/0);
// a misuse glibc detects (malloc_printerr) ends the process with SIGABRT and glibc's message,
// a fault of malloc's own access with the fault's signal: both come back as -1 with `crash`
// set, never as a host exception. A misuse glibc does not detect (its heap is silently
// corrupted) is an InputError: mmsim does not model what follows.
import { InputError } from "@mmsim/base";
import type { FaultSignal } from "@mmsim/virtual";
import { Arena, INUSE, STATE_NAMES, TCACHED, FAST, defaultPar, type MallocPar } from "./arena";
import {
  CHUNK_HDR_SZ, DEFAULT_MMAP_THRESHOLD_MAX, HEAP_MAX_SIZE, IS_MMAPPED, MALLOC_ALIGNMENT, MAX_FAST_SIZE, MAX_REQUEST, MINSIZE,
  M_MMAP_MAX, M_MMAP_THRESHOLD, M_MXFAST, M_TOP_PAD, M_TRIM_THRESHOLD, SIZE_SZ, TCACHE_MAX_BINS, TCACHE_STRUCT_SIZE, csize2tidx,
  fastbinIndex, request2size, setMaxFast,
} from "./chunk";
import { mtrim } from "./heap";
import { intMalloc } from "./int-malloc";
import { MmappedChunks } from "./mmap-chunk";
import { UserFault, type UserMem } from "./user-mem";

/** ENOMEM (include/uapi/asm-generic/errno-base.h). */
const ENOMEM = 12;
/** SIGABRT (arch/x86/include/uapi/asm/signal.h): abort() after malloc_printerr. */
export const SIGABRT = 6;
/** A size_t made from a negative C int (mallopt's value): 2^64 + value, as far as a double holds it. */
const SIZE_T_WRAP = 2 ** 64;

/** How the process died inside malloc: SIGABRT with glibc's message, or the signal of a fault. */
export interface MallocCrash {
  signo: number;
  /** what malloc_printerr wrote to stderr, or null for a fault */
  message: string | null;
  fault: FaultSignal | null;
}

/** malloc_printerr: glibc found its heap inconsistent; the process aborts. */
class MallocAbort {
  constructor(readonly message: string) {}
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** One process's malloc: the main arena, its mmapped chunks and mp_. */
export class Malloc {
  readonly par: MallocPar = defaultPar();
  readonly arena: Arena;
  /** errno after the last call that set it (ENOMEM) */
  errno = 0;
  /** set when a call ended the process; later calls are a Bug of the caller */
  crash: MallocCrash | null = null;

  constructor(
    readonly mem: UserMem,
    /** tcache_key (glibc draws it from getrandom at startup): 64 random bits, low and high */
    key: Uint32Array,
  ) {
    this.arena = new Arena(mem, this.par, key, new MmappedChunks(mem));
  }

  /** fork: the child's malloc, a copy of this one on the child's memory (same tcache_key, in the copied libc data). */
  forkInto(mem: UserMem): Malloc {
    const child = new Malloc(mem, this.arena.key);
    child.arena.copyFrom(this.arena);
    child.errno = this.errno;
    return child;
  }

  /** malloc(bytes): the user pointer, 0 (errno ENOMEM), or -1 when the process died (see crash). */
  malloc(bytes: number): number {
    try {
      return this.libcMalloc(bytes);
    } catch (e) {
      return this.died(e);
    }
  }

  /** free(mem): 0, or -1 when the process died. */
  free(mem: number): number {
    try {
      this.libcFree(mem);
      return 0;
    } catch (e) {
      return this.died(e);
    }
  }

  /** calloc(nmemb, size): zeroed memory, 0 (ENOMEM, also on overflow), or -1. */
  calloc(nmemb: number, size: number): number {
    try {
      return this.libcCalloc(nmemb, size);
    } catch (e) {
      return this.died(e);
    }
  }

  /** realloc(mem, bytes): the new pointer, 0 (freed for bytes 0, or ENOMEM with mem kept), or -1. */
  realloc(mem: number, bytes: number): number {
    try {
      return this.libcRealloc(mem, bytes);
    } catch (e) {
      return this.died(e);
    }
  }

  /** mallopt(param, value): 1 on success, 0 when the value is refused, -1 when the process died. */
  mallopt(param: number, value: number): number {
    try {
      return this.libcMallopt(param, value);
    } catch (e) {
      return this.died(e);
    }
  }

  /** malloc_trim(pad): 1 when memory went back to the kernel, else 0; -1 when the process died. */
  mallocTrim(pad: number): number {
    try {
      return mtrim(this.arena, pad) ? 1 : 0;
    } catch (e) {
      return this.died(e);
    }
  }

  /** malloc_usable_size(mem) of a live pointer: the bytes the caller may use. */
  usableSize(mem: number): number {
    const c = mem - CHUNK_HDR_SZ;
    const m = this.arena.mmapped.chunks.get(c);
    if (m !== undefined) return m - CHUNK_HDR_SZ;
    return this.arena.hasChunk(c) && this.arena.state(c) === INUSE ? this.arena.size(c) - SIZE_SZ : 0;
  }

  private died(e: unknown): number {
    if (e instanceof MallocAbort) this.crash = { signo: SIGABRT, message: e.message, fault: null };
    else if (e instanceof UserFault) this.crash = { signo: e.signal.signo, message: null, fault: e.signal };
    else throw e;
    return -1;
  }

  /** MAYBE_INIT_TCACHE / tcache_init: the tcache_perthread_struct is the first chunk the process gets, zeroed. */
  private initTcache(): void {
    const a = this.arena;
    if (a.tcacheStruct !== 0) return;
    const c = intMalloc(a, request2size(TCACHE_STRUCT_SIZE));
    if (c === 0) return;
    a.tcacheStruct = c;
    this.mem.memset(c + CHUNK_HDR_SZ, 0, TCACHE_STRUCT_SIZE);
  }

  private libcMalloc(bytes: number): number {
    if (bytes > MAX_REQUEST) return this.enomem();
    const nb = request2size(bytes);
    this.initTcache();
    const a = this.arena;
    const tidx = csize2tidx(nb);
    if (tidx < TCACHE_MAX_BINS && a.tcache[tidx]!.length) return a.tcacheGet(tidx) + CHUNK_HDR_SZ;
    const c = intMalloc(a, nb);
    return c === 0 ? this.enomem() : c + CHUNK_HDR_SZ;
  }

  private enomem(): number {
    this.errno = ENOMEM;
    return 0;
  }

  private libcFree(mem: number): void {
    if (mem === 0) return;
    const a = this.arena;
    const c = mem - CHUNK_HDR_SZ;
    // a chunk of the heap is no mapping: skip the lookup by address (a boxed key) on the hot path
    const msize = c >= a.sbrkBase && c < a.top ? undefined : a.mmapped.chunks.get(c);
    if (msize !== undefined) {
      // the dynamic threshold: a freed mapping raises the threshold to its size (up to the max)
      if (!this.par.noDynThreshold && msize > this.par.mmapThreshold && msize <= DEFAULT_MMAP_THRESHOLD_MAX) {
        this.par.mmapThreshold = msize;
        this.par.trimThreshold = 2 * msize;
      }
      a.mmapped.free(c);
      return;
    }
    if (mem % MALLOC_ALIGNMENT !== 0) throw new MallocAbort("free(): invalid pointer");
    this.initTcache();
    const v = a.entry(c);
    if (v < 0) return this.unknownChunk(c, "free");
    const st = Arena.stateOf(v);
    if (st === INUSE) return a.intFree(c, Arena.sizeOf(v));
    if (st === TCACHED) throw new MallocAbort("free(): double free detected in tcache 2");
    // a chunk in a fastbin or a bin: glibc's tcache would take it again if its bin has room
    const size = a.size(c);
    if (a.tcacheRoom(size) >= 0) this.undetected("free", c, st);
    if (size <= this.par.maxFast) {
      const bin = a.fastbins[fastbinIndex(size)]!;
      if (st === FAST && bin[bin.length - 1] === c) throw new MallocAbort("double free or corruption (fasttop)");
      this.undetected("free", c, st);
    }
    throw new MallocAbort("double free or corruption (!prev)");
  }

  /**
   * free or realloc of an aligned pointer malloc does not know as a chunk: glibc reads the
   * size field before it (a fault there kills the process: a second free of an unmapped
   * chunk) and checks it.
   */
  private unknownChunk(c: number, who: "free" | "realloc"): never {
    const a = this.arena;
    if (c === a.top && who === "free" && a.tcacheRoom(a.topSize) < 0 && a.topSize > this.par.maxFast) {
      throw new MallocAbort("double free or corruption (top)");
    }
    const head = this.mem.load64(c + SIZE_SZ);
    const size = head - (head % 8);
    if (head % 4 >= IS_MMAPPED) {
      if (this.mem.load64(c) % 4096 !== 0 || size % 4096 !== 0) throw new MallocAbort(who === "free" ? "munmap_chunk(): invalid pointer" : "realloc(): invalid pointer");
    } else if (who === "free" && (size < MINSIZE || size % MALLOC_ALIGNMENT !== 0)) throw new MallocAbort("free(): invalid size");
    else if (who === "realloc" && (size <= 2 * SIZE_SZ || size >= a.systemMem)) throw new MallocAbort("realloc(): invalid old size");
    throw new InputError(`${who}(${hex(c + CHUNK_HDR_SZ)}): not a pointer malloc returned; glibc does not detect it here and its heap is corrupted from then on (not modelled)`);
  }

  private undetected(who: string, c: number, st: number): never {
    throw new InputError(`${who}(${hex(c + CHUNK_HDR_SZ)}): the chunk is ${STATE_NAMES[st]}; glibc does not detect this double free and its heap is corrupted from then on (not modelled)`);
  }

  private libcCalloc(nmemb: number, size: number): number {
    const bytes = nmemb * size;
    if (!Number.isSafeInteger(bytes) || bytes > MAX_REQUEST) return this.enomem();
    this.initTcache();
    const a = this.arena;
    // only memory sbrk has never handed out is known to be zero (MORECORE_CLEARS)
    const oldtop = a.top;
    let oldtopsize = a.topSize;
    if (a.sbrkBase !== 0 && oldtopsize < a.sbrkBase + a.maxSystemMem - oldtop) oldtopsize = a.sbrkBase + a.maxSystemMem - oldtop;
    const c = intMalloc(a, request2size(bytes));
    if (c === 0) return this.enomem();
    if (a.mmapped.chunks.has(c)) return c + CHUNK_HDR_SZ;
    let csz = a.size(c);
    if (c === oldtop && csz > oldtopsize) csz = oldtopsize;
    this.mem.memset(c + CHUNK_HDR_SZ, 0, csz - SIZE_SZ);
    return c + CHUNK_HDR_SZ;
  }

  private libcRealloc(mem: number, bytes: number): number {
    if (bytes === 0 && mem !== 0) {
      this.libcFree(mem);
      return 0;
    }
    if (mem === 0) return this.libcMalloc(bytes);
    if (bytes > MAX_REQUEST) return this.enomem();
    const a = this.arena;
    const c = mem - CHUNK_HDR_SZ;
    const nb = request2size(bytes);
    const msize = a.mmapped.chunks.get(c);
    if (msize !== undefined) {
      const moved = a.mmapped.remap(c, nb);
      if (moved !== 0) return moved + CHUNK_HDR_SZ;
      if (msize - SIZE_SZ >= nb) return mem;
      const n = this.libcMalloc(bytes);
      if (n === 0) return 0;
      this.mem.memcpy(n, mem, msize - CHUNK_HDR_SZ);
      a.mmapped.free(c);
      return n;
    }
    if (mem % MALLOC_ALIGNMENT !== 0) throw new MallocAbort("realloc(): invalid pointer");
    if (!a.hasChunk(c)) return this.unknownChunk(c, "realloc");
    if (a.state(c) !== INUSE) this.undetected("realloc", c, a.state(c));
    const n = this.intRealloc(c, a.size(c), nb);
    return n === 0 ? this.enomem() : n + CHUNK_HDR_SZ;
  }

  /** _int_realloc: grow in place into top or a free successor, else malloc-copy-free; shrink by splitting. */
  private intRealloc(c: number, oldsize: number, nb: number): number {
    const a = this.arena;
    let newsize = oldsize;
    if (oldsize < nb) {
      const next = c + oldsize;
      if (next === a.top && oldsize + a.topSize >= nb + MINSIZE) {
        a.setChunk(c, nb, INUSE);
        a.writeHead(c, nb);
        a.topSize = oldsize + a.topSize - nb;
        a.top = c + nb;
        a.writeHead(a.top, a.topSize);
        return c;
      }
      const st = next === a.top ? 0 : a.state(next);
      if (st > FAST && oldsize + a.size(next) >= nb) {
        newsize += a.size(next);
        a.unlink(next);
        a.deleteChunk(next);
      } else {
        const n = intMalloc(a, nb);
        if (n === 0) return 0;
        if (n === next) {
          newsize += a.size(n);
          a.deleteChunk(n);
        } else {
          this.mem.memcpy(n + CHUNK_HDR_SZ, c + CHUNK_HDR_SZ, oldsize - SIZE_SZ);
          a.intFree(c);
          return n;
        }
      }
    }
    const rem = newsize - nb;
    if (rem < MINSIZE) {
      a.setChunk(c, newsize, INUSE);
      a.writeHead(c, newsize);
      a.writeNextHead(c, newsize);
      return c;
    }
    a.setChunk(c, nb, INUSE);
    a.writeHead(c, nb);
    a.setChunk(c + nb, rem, INUSE);
    a.writeHead(c + nb, rem);
    a.writeNextHead(c + nb, rem);
    a.intFree(c + nb);
    return c;
  }

  private libcMallopt(param: number, value: number): number {
    const p = this.par;
    this.arena.consolidate();
    const asSizeT = value < 0 ? SIZE_T_WRAP + value : value;
    switch (param) {
      case M_MXFAST:
        if (asSizeT > MAX_FAST_SIZE) return 0;
        p.maxFast = setMaxFast(asSizeT);
        return 1;
      case M_TRIM_THRESHOLD:
        p.trimThreshold = asSizeT;
        break;
      case M_TOP_PAD:
        p.topPad = asSizeT;
        break;
      case M_MMAP_THRESHOLD:
        if (asSizeT > HEAP_MAX_SIZE / 2) return 0;
        p.mmapThreshold = asSizeT;
        break;
      case M_MMAP_MAX:
        p.nMmapsMax = value;
        break;
      default:
        return 1;
    }
    p.noDynThreshold = true;
    return 1;
  }
}
