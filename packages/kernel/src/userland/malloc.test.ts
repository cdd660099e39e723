// glibc malloc on a booted kernel: where memory comes from (heap by brk, or a mapping of its
// own), the chunk words written into the task's memory, tcache/fastbin/bin reuse, the dynamic
// mmap threshold, trimming, calloc, realloc, mallopt and glibc's abort messages. Numbers are
// glibc 2.39's (malloc/malloc.c) on x86-64.
import { describe, expect, it } from "vitest";
import { Kernel } from "../kernel";
import { virtualOf } from "../virtual-kernel";
import type { Task } from "../task";
import { M_MMAP_MAX, M_MMAP_THRESHOLD, M_MXFAST, M_TOP_PAD, M_TRIM_THRESHOLD, largebinIndex, request2size } from "./chunk";
import { SIGABRT, type Malloc } from "./malloc";
import { verifyMalloc } from "./malloc-verify";
import { userlandOf } from "./userland";

const MiB = 1024 * 1024;
/** Where a spawned task's break starts: ELF_ET_DYN_BASE of the 47-bit window (task.ts). */
const HEAP = 0x555555554000;

function boot(): { k: Kernel; t: Task; m: Malloc } {
  const k = Kernel.boot({ ram: 256 * MiB });
  const t = virtualOf(k).spawn("app") as Task;
  return { k, t, m: userlandOf(k).mallocOf(t) };
}

function word(m: Malloc, addr: number): number {
  return m.mem.load64(addr);
}

function rss(k: Kernel, t: Task, at: number): string {
  const smaps = k.cat(`/proc/${t.pid}/smaps`).split("\n");
  const i = smaps.findIndex((l) => {
    const r = /^([0-9a-f]+)-([0-9a-f]+) /.exec(l);
    return r !== null && parseInt(r[1]!, 16) <= at && at < parseInt(r[2]!, 16);
  });
  return smaps.slice(i).find((l) => l.startsWith("Rss:"))!.replace(/\s+/g, " ");
}

describe("chunk sizes (malloc.c request2size, largebin_index_64)", () => {
  it("rounds a request up with its 8-byte header to 16 bytes, at least MINSIZE 32", () => {
    expect([0, 24, 25, 1024, 4096, 1575936, 8388999].map(request2size)).toEqual([32, 32, 48, 1040, 4112, 1575952, 8389008]);
  });
  it("indexes large bins by 64, 512, 4096, 32768 and 262144-byte steps", () => {
    expect([1024, 3056, 3072, 10752, 12288, 40960, 163840, 524288, 1 << 30].map(largebinIndex)).toEqual([64, 95, 96, 112, 113, 120, 124, 126, 126]);
  });
});

describe("the heap (sysmalloc on brk)", () => {
  it("first malloc: tcache_init's 0x290 chunk, then the request; the heap is 0x290 + M_TOP_PAD + MINSIZE page-rounded = 132 KiB", () => {
    const { t, m } = boot();
    const p = m.malloc(1024);
    expect(p).toBe(HEAP + 0x290 + 16);
    expect(t.mm!.brk).toBe(HEAP + 0x21000);
    // size fields in memory: the tcache chunk, this chunk (both PREV_INUSE), then top's
    expect(word(m, HEAP + 8)).toBe(0x291);
    expect(word(m, p - 8)).toBe(0x411);
    expect(word(m, p - 16 + 0x410 + 8)).toBe((0x21000 - 0x290 - 0x410) + 1);
    verifyMalloc(m);
  });

  it("malloc(0) is a MINSIZE chunk with 24 usable bytes; malloc(24) shares it, malloc(25) does not", () => {
    const { m } = boot();
    const a = m.malloc(0);
    const b = m.malloc(24);
    const c = m.malloc(25);
    expect([m.usableSize(a), m.usableSize(b), m.usableSize(c)]).toEqual([24, 24, 40]);
    expect([b - a, c - b]).toEqual([32, 32]);
  });

  it("a free next to top below M_TRIM_THRESHOLD keeps the heap", () => {
    const { t, m } = boot();
    m.mallopt(M_MMAP_THRESHOLD, MiB);
    m.mallopt(M_TRIM_THRESHOLD, MiB);
    const p = m.malloc(512 * 1024);
    const brk = t.mm!.brk;
    m.free(p);
    expect(t.mm!.brk).toBe(brk);
    expect(m.arena.top).toBe(p - 16);
  });

  it("a request of at least the mmap threshold is still carved from top when top holds it", () => {
    const { t, m } = boot();
    m.malloc(16);
    const p = m.malloc(128 * 1024 - 8); // nb = 131072 = M_MMAP_THRESHOLD, top holds 0x21000 - 0x2b0
    expect(p).toBe(HEAP + 0x2b0 + 16);
    expect(t.mm!.brk).toBe(HEAP + 0x21000);
  });

  it("free of a large chunk next to top merges it into top and trims the heap back to M_TOP_PAD", () => {
    const { t, m } = boot();
    expect(m.mallopt(M_MMAP_THRESHOLD, 1 * MiB)).toBe(1);
    const p = m.malloc(512 * 1024);
    expect(p).toBe(HEAP + 0x2a0);
    // 0x290 + 0x80010 + top_pad 0x20000 + 32, page-rounded
    expect(t.mm!.brk).toBe(HEAP + 0xa1000);
    expect(m.free(p)).toBe(0);
    // systrim keeps top_pad (and MINSIZE + 1) above top's start: top = 0x290, area 0xa0d70 - 33
    expect(t.mm!.brk).toBe(HEAP + 0x21000);
    expect(word(m, HEAP + 0x290 + 8)).toBe(0x21000 - 0x290 + 1);
    verifyMalloc(m);
  });
});

describe("mmapped chunks (sysmalloc_mmap, munmap_chunk)", () => {
  it("maps ALIGN_UP(nb + 8, 4096) bytes with prev_size 0 and IS_MMAPPED; free unmaps it", () => {
    const { k, t, m } = boot();
    const p = m.malloc(1575936);
    const c = p - 16;
    expect(c % 4096).toBe(0);
    expect(word(m, c)).toBe(0);
    expect(word(m, c + 8)).toBe(1576960 + 2);
    expect(k.cat(`/proc/${t.pid}/maps`)).toContain(`${c.toString(16)}-${(c + 1576960).toString(16)} rw-p`);
    expect(m.free(p)).toBe(0);
    expect(k.cat(`/proc/${t.pid}/maps`)).not.toContain(c.toString(16));
  });

  it("freeing a mapped chunk raises the mmap threshold to its size and the trim threshold to twice that", () => {
    const { t, m } = boot();
    m.free(m.malloc(MiB));
    expect(m.par.mmapThreshold).toBe(1052672);
    expect(m.par.trimThreshold).toBe(2 * 1052672);
    const before = t.mm!.brk;
    const p = m.malloc(MiB);
    expect(p).toBeGreaterThan(HEAP);
    expect(p).toBeLessThan(t.mm!.brk);
    expect(t.mm!.brk).toBeGreaterThan(before);
  });

  it("does not raise the threshold after mallopt fixed it, nor above DEFAULT_MMAP_THRESHOLD_MAX (32 MiB)", () => {
    const a = boot();
    a.m.mallopt(M_TRIM_THRESHOLD, 256 * 1024);
    a.m.free(a.m.malloc(MiB));
    expect(a.m.par.mmapThreshold).toBe(128 * 1024);
    const b = boot();
    b.m.free(b.m.malloc(40 * MiB));
    expect(b.m.par.mmapThreshold).toBe(128 * 1024);
  });
});

describe("reuse of freed chunks", () => {
  it("tcache is LIFO per size; an eighth free of a size goes to its fastbin", () => {
    const { m } = boot();
    const ps = Array.from({ length: 9 }, () => m.malloc(40));
    for (const p of ps.slice(0, 8)) m.free(p);
    expect(m.arena.tcache[1]!.map((c) => c + 16)).toEqual(ps.slice(0, 7));
    expect(m.arena.fastbins[1]!.map((c) => c + 16)).toEqual([ps[7]]);
    expect(m.malloc(40)).toBe(ps[6]);
    verifyMalloc(m);
  });

  it("a freed chunk too big for tcache is reused for a later request that fits, split with the rest kept free", () => {
    const { m } = boot();
    const a = m.malloc(3000);
    const guard = m.malloc(16);
    m.free(a);
    const b = m.malloc(2000);
    expect(b).toBe(a);
    const rest = m.malloc(900);
    expect(rest).toBe(a + request2size(2000));
    expect(guard).toBe(a + request2size(3000));
    verifyMalloc(m);
  });
});

describe("glibc's checks end the process (malloc_printerr -> abort)", () => {
  it("double free of a tcache chunk", () => {
    const { m } = boot();
    const p = m.malloc(24);
    m.free(p);
    expect(m.free(p)).toBe(-1);
    expect(m.crash).toEqual({ signo: SIGABRT, message: "free(): double free detected in tcache 2", fault: null });
  });
  it("double free at the top of a fastbin", () => {
    const { m } = boot();
    const ps = Array.from({ length: 8 }, () => m.malloc(24));
    for (const p of ps) m.free(p);
    m.free(ps[7]!);
    expect(m.crash?.message).toBe("double free or corruption (fasttop)");
  });
  it("double free of a binned chunk", () => {
    const { m } = boot();
    const p = m.malloc(2000);
    m.malloc(16);
    m.free(p);
    m.free(p);
    expect(m.crash?.message).toBe("double free or corruption (!prev)");
  });
  it("a misaligned pointer", () => {
    const { m } = boot();
    m.free(m.malloc(24) + 8);
    expect(m.crash?.message).toBe("free(): invalid pointer");
  });
  it("a second free of an unmapped chunk faults reading its size: SIGSEGV", () => {
    const { m } = boot();
    const p = m.malloc(MiB);
    m.free(p);
    m.free(p);
    expect(m.crash?.signo).toBe(11);
    expect(m.crash?.fault?.addr).toBe(p - 8);
  });
});

describe("calloc", () => {
  it("clears a reused chunk", () => {
    const { m } = boot();
    const p = m.malloc(2000);
    m.mem.memset(p, 0xee, 2000);
    m.malloc(16);
    m.free(p);
    const q = m.calloc(20, 100);
    expect(q).toBe(p);
    expect([...m.mem.read(q, 2000)].every((b) => b === 0)).toBe(true);
  });
  it("does not take from the tcache (glibc 2.39's calloc calls _int_malloc)", () => {
    const { m } = boot();
    const p = m.malloc(100);
    m.free(p);
    expect(m.calloc(10, 10)).toBe(p + request2size(100));
    expect(m.arena.tcache[5]!).toEqual([p - 16]);
  });
  it("does not touch a fresh mapping: only its header page is resident", () => {
    const { k, t, m } = boot();
    const p = m.calloc(1, 4 * MiB);
    expect(rss(k, t, p)).toBe("Rss: 4 kB");
  });
  it("returns NULL with ENOMEM when nmemb * size overflows", () => {
    const { m } = boot();
    expect(m.calloc(2 ** 40, 2 ** 40)).toBe(0);
    expect(m.errno).toBe(12);
  });
});

describe("realloc", () => {
  it("grows in place into top, keeping the pointer", () => {
    const { m } = boot();
    const p = m.malloc(100);
    expect(m.realloc(p, 5000)).toBe(p);
    verifyMalloc(m);
  });
  it("moves a block that cannot grow, copying its bytes and freeing the old chunk", () => {
    const { m } = boot();
    const p = m.malloc(2000);
    m.mem.memset(p, 0x5a, 2000);
    m.malloc(16);
    const q = m.realloc(p, 3000);
    expect(q).not.toBe(p);
    expect([...m.mem.read(q, 2000)].every((b) => b === 0x5a)).toBe(true);
    verifyMalloc(m);
  });
  it("mremaps a mapped chunk (mremap_chunk): its bytes stay", () => {
    const { m } = boot();
    const p = m.malloc(MiB);
    m.mem.memset(p + MiB - 4, 0x77, 4);
    const q = m.realloc(p, 4 * MiB);
    expect(m.arena.mmapped.chunks.get(q - 16)).toBe(4 * MiB + 4096);
    expect([...m.mem.read(q + MiB - 4, 4)]).toEqual([0x77, 0x77, 0x77, 0x77]);
  });
  it("shrinks a mapped chunk with mremap too: it stays a mapping, page-rounded", () => {
    const { m } = boot();
    const p = m.malloc(MiB);
    const q = m.realloc(p, 100);
    expect(q).toBe(p);
    expect(m.arena.mmapped.chunks.get(q - 16)).toBe(4096);
    expect(m.mem.load64(q - 8)).toBe(4096 + 2);
  });
  it("realloc(p, 0) frees p and returns NULL", () => {
    const { m } = boot();
    const p = m.malloc(24);
    expect(m.realloc(p, 0)).toBe(0);
    expect(m.arena.tcache[0]!).toEqual([p - 16]);
  });
});

describe("mallopt and malloc_trim", () => {
  it("M_MMAP_MAX 0 serves every request from the heap", () => {
    const { t, m } = boot();
    expect(m.mallopt(M_MMAP_MAX, 0)).toBe(1);
    const p = m.malloc(MiB);
    expect(p).toBe(HEAP + 0x2a0);
    // 0x290 + request2size(1 MiB) + top_pad + MINSIZE, page-rounded
    expect(t.mm!.brk).toBe(HEAP + 0x121000);
    expect(m.arena.mmapped.nMmaps).toBe(0);
  });

  it("M_MMAP_THRESHOLD above HEAP_MAX_SIZE / 2 (32 MiB) is refused; M_MXFAST above 160 too", () => {
    const { m } = boot();
    expect(m.mallopt(M_MMAP_THRESHOLD, 32 * MiB + 1)).toBe(0);
    expect(m.mallopt(M_MMAP_THRESHOLD, 32 * MiB)).toBe(1);
    expect(m.mallopt(M_MXFAST, 161)).toBe(0);
    expect(m.mallopt(M_MXFAST, 0)).toBe(1);
    expect(m.par.maxFast).toBe(16);
  });
  it("M_TOP_PAD changes how much the heap grows by", () => {
    const { t, m } = boot();
    m.mallopt(M_TOP_PAD, 0);
    m.malloc(16);
    // 0x290 + 0x20 + MINSIZE, one page
    expect(t.mm!.brk).toBe(HEAP + 0x1000);
  });
  it("malloc_trim gives back the whole pages inside a free chunk (MADV_DONTNEED) and top above pad", () => {
    const { k, t, m } = boot();
    m.mallopt(M_MMAP_THRESHOLD, 4 * MiB);
    m.mallopt(M_TRIM_THRESHOLD, 64 * MiB);
    const p = m.malloc(MiB);
    m.mem.memset(p, 1, MiB);
    m.malloc(16);
    m.free(p);
    expect(rss(k, t, HEAP)).toBe("Rss: 1028 kB");
    expect(m.mallocTrim(0)).toBe(1);
    // pages 1..255 lie wholly inside the free chunk [0x2a0, 0x1002b0); page 0 and page 256 stay
    expect(rss(k, t, HEAP)).toBe("Rss: 8 kB");
    verifyMalloc(m);
  });
});
