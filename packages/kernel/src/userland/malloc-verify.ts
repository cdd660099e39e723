// The invariants of a process's malloc (what glibc's do_check_malloc_state checks under
// MALLOC_DEBUG), checked by Kernel.verify() for every live process:
//   - the chunks tile [sbrk_base, top) exactly, each at least MINSIZE and 16-byte aligned;
//     system_mem is the heap's length;
//   - a chunk in the unsorted, small or large bins has its footer and touches
//     neither another such chunk nor top;
//   - every list holds only chunks in its state and size class, each chunk in exactly one list;
//     a tcache bin holds at most tcache_count chunks, a large bin is sorted largest first;
//   - n_mmaps and mmapped_mem count the mmapped chunks.
import { BUG } from "@mmsim/base";
import { FAST, INUSE, LARGE, SMALL, TCACHED, UNSORTED, type Arena } from "./arena";
import { MALLOC_ALIGNMENT, MINSIZE, csize2tidx, fastbinIndex, largebinIndex, smallbinIndex } from "./chunk";
import type { Malloc } from "./malloc";

const FN = "verifyMalloc";

function checkList(a: Arena, list: readonly number[], state: number, index: (size: number) => boolean, what: string, seen: Set<number>): void {
  for (const c of list) {
    if (!a.hasChunk(c)) BUG(FN, `${what} holds 0x${c.toString(16)}, which is not a chunk`);
    if (a.state(c) !== state) BUG(FN, `${what} holds 0x${c.toString(16)} whose state is ${a.state(c)}`);
    if (!index(a.size(c))) BUG(FN, `${what} holds 0x${c.toString(16)} of size ${a.size(c)}, not of its class`);
    if (seen.has(c)) BUG(FN, `0x${c.toString(16)} is on two lists (or twice on ${what})`);
    seen.add(c);
  }
}

/** Checks every invariant of m's arena; throws Bug on the first broken one. */
export function verifyMalloc(m: Malloc): void {
  const a = m.arena;
  const byState = [0, 0, 0, 0, 0, 0, 0];
  if (a.sbrkBase !== 0) {
    let c = a.sbrkBase;
    let n = 0;
    while (c < a.top) {
      if (!a.hasChunk(c)) BUG(FN, `no chunk at 0x${c.toString(16)}: the chunks do not tile the heap`);
      const size = a.size(c);
      if (size < MINSIZE || size % MALLOC_ALIGNMENT !== 0) BUG(FN, `chunk 0x${c.toString(16)} has size ${size}`);
      const st = a.state(c);
      byState[st]!++;
      if (st >= UNSORTED) {
        if (a.freeStart(c + size) !== c) BUG(FN, `free chunk 0x${c.toString(16)} has no footer`);
        if (c + size === a.top) BUG(FN, `free chunk 0x${c.toString(16)} touches top`);
        if (a.hasChunk(c + size) && a.state(c + size) >= UNSORTED) BUG(FN, `free chunks 0x${c.toString(16)} and its successor are not merged`);
      }
      c += size;
      n++;
    }
    if (c !== a.top) BUG(FN, `the chunks end at 0x${c.toString(16)}, top is at 0x${a.top.toString(16)}`);
    if (n !== a.chunkCount) BUG(FN, `${a.chunkCount} chunks are known, ${n} tile the heap`);
    if (a.systemMem !== a.top + a.topSize - a.sbrkBase) BUG(FN, `system_mem ${a.systemMem} is not the heap's length ${a.top + a.topSize - a.sbrkBase}`);
    if (a.tcacheStruct !== 0 && a.state(a.tcacheStruct) !== INUSE) BUG(FN, "the tcache_perthread_struct chunk is not in use");
  } else if (a.chunkCount !== 0) BUG(FN, "chunks exist before the heap does");
  const binned = byState[UNSORTED]! + byState[SMALL]! + byState[LARGE]!;
  if (a.footerCount !== binned) BUG(FN, `${a.footerCount} footers for ${binned} free chunks`);
  const seen = new Set<number>();
  a.tcache.forEach((bin, i) => {
    if (bin.length > m.par.tcacheCount) BUG(FN, `tcache bin ${i} holds ${bin.length} chunks`);
    checkList(a, bin, TCACHED, (s) => csize2tidx(s) === i, `tcache bin ${i}`, seen);
  });
  a.fastbins.forEach((bin, i) => checkList(a, bin, FAST, (s) => fastbinIndex(s) === i, `fastbin ${i}`, seen));
  checkList(a, a.unsorted, UNSORTED, () => true, "the unsorted bin", seen);
  a.smallbins.forEach((bin, i) => checkList(a, bin, SMALL, (s) => smallbinIndex(s) === i, `small bin ${i}`, seen));
  a.largebins.forEach((bin, i) => {
    checkList(a, bin, LARGE, (s) => largebinIndex(s) === i, `large bin ${i}`, seen);
    for (let j = 1; j < bin.length; j++) if (a.size(bin[j]!) > a.size(bin[j - 1]!)) BUG(FN, `large bin ${i} is not sorted`);
  });
  const free = byState[TCACHED]! + byState[FAST]! + binned;
  if (seen.size !== free) BUG(FN, `${seen.size} chunks on lists, ${free} free chunks in the heap`);
  let mem = 0;
  for (const size of a.mmapped.chunks.values()) mem += size;
  if (a.mmapped.nMmaps !== a.mmapped.chunks.size || a.mmapped.mmappedMem !== mem) {
    BUG(FN, `n_mmaps ${a.mmapped.nMmaps} / mmapped_mem ${a.mmapped.mmappedMem} do not count ${a.mmapped.chunks.size} chunks of ${mem} bytes`);
  }
}
