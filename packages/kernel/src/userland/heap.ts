// Growing and shrinking glibc's heap (malloc/malloc.c): sysmalloc's sbrk part, systrim (the top
// chunk above the pad goes back to the kernel with a negative sbrk) and mtrim, malloc_trim's
// MADV_DONTNEED of the whole pages inside free chunks.
import { InputError } from "@mmsim/base";
import type { Arena } from "./arena";
import { CHUNK_HDR_SZ, MALLOC_ALIGNMENT, MALLOC_CHUNK_STRUCT, MINSIZE, alignDown, alignUp } from "./chunk";

const PAGE = 4096;

/**
 * sysmalloc's main-arena part: sbrk enough for nb plus top_pad and MINSIZE (less what top
 * holds), page-rounded; the first call aligns the heap's start and end. Returns false when
 * brk(2) refused.
 */
export function growHeap(a: Arena, nb: number): boolean {
  let size = nb + a.par.topPad + MINSIZE;
  if (a.sbrkBase !== 0) size -= a.topSize;
  size = alignUp(size, PAGE);
  if (size <= 0) return true;
  const brk = a.mem.sbrk(size);
  if (brk < 0) return false;
  if (a.sbrkBase !== 0 && brk === a.top + a.topSize) {
    a.topSize += size;
  } else if (a.sbrkBase === 0) {
    // first sbrk: align the first chunk's mem, then the end of the heap to a page
    const front = (brk + CHUNK_HDR_SZ) % MALLOC_ALIGNMENT;
    let correction = front > 0 ? MALLOC_ALIGNMENT - front : 0;
    const aligned = brk + correction;
    const end = brk + size + correction;
    correction += alignUp(end, PAGE) - end;
    let snd = a.mem.sbrk(correction);
    if (snd < 0) {
      correction = 0;
      snd = a.mem.brk;
    }
    a.sbrkBase = a.top = aligned;
    a.topSize = snd - aligned + correction;
    size += correction;
  } else {
    throw new InputError(
      "the program break moved behind malloc's back (a brk step after malloc): glibc's foreign-sbrk fenceposts are not modelled",
    );
  }
  a.systemMem += size;
  a.maxSystemMem = Math.max(a.maxSystemMem, a.systemMem);
  a.writeHead(a.top, a.topSize);
  return true;
}

/** systrim: gives back to the kernel (sbrk of a negative size) what top holds above pad, in whole pages. */
export function systrim(a: Arena, pad: number): boolean {
  const topArea = a.topSize - MINSIZE - 1;
  if (topArea <= pad) return false;
  const extra = alignDown(topArea - pad, PAGE);
  if (extra === 0) return false;
  const cur = a.mem.brk;
  if (cur !== a.top + a.topSize) return false;
  a.mem.sbrk(-extra);
  const released = cur - a.mem.brk;
  if (released === 0) return false;
  a.systemMem -= released;
  a.topSize -= released;
  a.writeHead(a.top, a.topSize);
  return true;
}

/** mtrim (malloc_trim's core): MADV_DONTNEED on the whole pages inside every binned free chunk, then systrim(pad). */
export function mtrim(a: Arena, pad: number): boolean {
  a.consolidate();
  let result = false;
  const bins = [a.unsorted, ...a.smallbins, ...a.largebins];
  for (const bin of bins) {
    for (const c of bin) {
      let size = a.size(c);
      if (size <= PAGE - 1 + MALLOC_CHUNK_STRUCT) continue;
      const aligned = alignUp(c + MALLOC_CHUNK_STRUCT, PAGE);
      size -= aligned - c;
      if (size > PAGE - 1) {
        a.mem.madviseDontneed(aligned, alignDown(size, PAGE));
        result = true;
      }
    }
  }
  return systrim(a, pad) || result;
}
