// _int_malloc and sysmalloc (glibc malloc/malloc.c): where a request's chunk comes from once
// the tcache had none. In glibc's order:
//
//   fastbin of exactly nb (LIFO; refills the tcache from the same bin)
//   small bin of exactly nb (FIFO; refills the tcache)       | large nb: malloc_consolidate
//   the unsorted bin, oldest first: the last remainder split for a small nb, an exact fit
//     (to the tcache while its bin has room, else returned), anything else sorted into its bin
//   large nb: best fit in nb's large bin, split (remainder to the unsorted bin)
//   the next non-empty bin above (binmap): its smallest chunk, split
//   the top chunk, split                                     | fastbins left: consolidate, again
//   sysmalloc: nb >= mmap_threshold -> a mapping of its own, else grow the heap with sbrk
import {
  MINSIZE, MIN_LARGE_SIZE, NBINS, TCACHE_MAX_BINS, csize2tidx, fastbinIndex, largebinIndex, smallbinIndex,
} from "./chunk";
import { INUSE, type Arena } from "./arena";
import { growHeap } from "./heap";

/** MAX_ITERS (malloc.c): the unsorted bin is sorted at most 10000 chunks per call. */
const MAX_ITERS = 10000;

/** Moves chunks of bin (fast or small, all of size nb) into tcache bin tidx while it has room. */
function refillTcache(a: Arena, bin: number[], nb: number, tidx: number, fromFront: boolean): void {
  if (a.tcacheStruct === 0 || tidx >= TCACHE_MAX_BINS) return;
  const t = a.tcache[tidx]!;
  while (bin.length && t.length < a.par.tcacheCount) {
    const c = fromFront ? bin[0]! : bin[bin.length - 1]!;
    if (fromFront) {
      a.unlink(c);
      a.useWhole(c, nb);
    } else {
      bin.pop();
      a.setChunk(c, nb, INUSE);
    }
    a.tcachePut(c, tidx);
  }
}

/** _int_malloc: a chunk of nb bytes (a request2size value), or 0 when neither brk nor mmap could give memory. */
export function intMalloc(a: Arena, nb: number): number {
  const tidx = csize2tidx(nb);
  if (nb <= a.par.maxFast) {
    const bin = a.fastbins[fastbinIndex(nb)]!;
    if (bin.length) {
      const c = bin.pop()!;
      a.setChunk(c, nb, INUSE);
      refillTcache(a, bin, nb, tidx, false);
      return c;
    }
  }
  const small = nb < MIN_LARGE_SIZE;
  if (small) {
    const bin = a.smallbins[smallbinIndex(nb)]!;
    if (bin.length) {
      const c = bin[0]!;
      a.unlink(c);
      a.useWhole(c, nb);
      refillTcache(a, bin, nb, tidx, true);
      return c;
    }
  } else if (a.haveFastchunks) a.consolidate();

  const tcacheNb = a.tcacheStruct !== 0 && tidx < TCACHE_MAX_BINS;
  for (;;) {
    let returnCached = false;
    for (let iters = 0; a.unsorted.length && iters < MAX_ITERS; iters++) {
      const c = a.unsorted[0]!;
      const size = a.size(c);
      if (small && a.unsorted.length === 1 && c === a.lastRemainder && size > nb + MINSIZE) {
        a.unlink(c);
        a.splitFree(c, size, nb, true);
        return c;
      }
      a.unsorted.shift();
      if (size === nb) {
        a.clearFooter(c + size);
        a.useWhole(c, size);
        if (tcacheNb && a.tcache[tidx]!.length < a.par.tcacheCount) {
          a.tcachePut(c, tidx);
          returnCached = true;
          continue;
        }
        return c;
      }
      a.toBin(c, size);
    }
    if (returnCached) return a.tcacheGet(tidx);

    if (!small) {
      const bin = a.largebins[largebinIndex(nb)]!;
      if (bin.length && a.size(bin[0]!) >= nb) {
        let j = bin.length - 1;
        while (a.size(bin[j]!) < nb) j--;
        const s = a.size(bin[j]!);
        while (j > 0 && a.size(bin[j - 1]!) === s) j--;
        // glibc takes the second chunk of the run when there is one (the first carries the nextsize links)
        const c = j + 1 < bin.length && a.size(bin[j + 1]!) === s ? bin[j + 1]! : bin[j]!;
        a.unlink(c);
        a.splitFree(c, s, nb, false);
        return c;
      }
    }

    for (let i = (small ? smallbinIndex(nb) : largebinIndex(nb)) + 1; i < NBINS; i++) {
      const bin = i < a.smallbins.length ? a.smallbins[i]! : a.largebins[i]!;
      if (bin.length === 0) continue;
      // last(bin): a small bin's oldest chunk, a large bin's smallest
      const c = i < a.smallbins.length ? bin[0]! : bin[bin.length - 1]!;
      const size = a.size(c);
      a.unlink(c);
      a.splitFree(c, size, nb, small);
      return c;
    }

    if (a.sbrkBase !== 0 && a.topSize >= nb + MINSIZE) return a.splitTop(nb);
    if (a.haveFastchunks) {
      a.consolidate();
      continue;
    }
    return sysmalloc(a, nb);
  }
}

/**
 * sysmalloc: a mapping of its own for nb >= mp_.mmap_threshold (while n_mmaps < n_mmaps_max),
 * else (or when that mmap failed) the heap grows by sbrk and top is split. 0 when both failed
 * (glibc would then try mmap as a replacement for sbrk: not modelled).
 */
export function sysmalloc(a: Arena, nb: number): number {
  if (nb >= a.par.mmapThreshold && a.mmapped.nMmaps < a.par.nMmapsMax) {
    const c = a.mmapped.alloc(nb);
    if (c !== 0) return c;
  }
  if (!growHeap(a, nb)) return 0;
  return a.topSize >= nb + MINSIZE ? a.splitTop(nb) : 0;
}
