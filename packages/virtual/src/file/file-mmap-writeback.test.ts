// Write-back of a shared file mapping's pages: folio_clear_dirty_for_io calls folio_mkclean
// (mm/page-writeback.c, mm/rmap.c page_vma_mkclean_one), so every PTE mapping a page about to be
// written is write-protected and cleaned and the next write through the mapping faults again
// (wp_page_shared -> page_mkwrite) and redirties the page; a zapped dirty PTE passes its dirty bit
// to the folio (mm/memory.c zap_present_folio_ptes).
import { describe, expect, it } from "vitest";
import { PG_dirty } from "@mmsim/physical";
import { bootFs, counter, type FsMachine } from "./fs-testing";
import { O_CREAT, O_RDWR } from "./file-table";
import { sysClose, sysFsync, sysOpen, sysPread64, sysWrite } from "./read-write";
import { dropPagecache } from "./truncate";
import { runUntil } from "./page-writeback";
import { fileVmFile } from "./file-mmap";
import { verifyFileSystem } from "./verify-file";
import { MAP_SHARED, PROT_READ, PROT_WRITE } from "../mm-flags";
import { sysMmap, sysMunmap } from "../syscalls";
import { PTE_D, PTE_RW, pteOffset } from "../pte";
import { verifyVirtual } from "../verify";

const HINT = 0x10000000;

/** A file "data" of `pages` zero pages on disk, opened O_RDWR and mapped shared read/write at HINT. */
function mapped(m: FsMachine, pages: number): number {
  const fd = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
  expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, pages * 4096)).toBe(pages * 4096);
  expect(sysFsync(m.fs, m.files, fd)).toBe(0);
  expect(sysMmap(m.vmm, m.mm, HINT, pages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fileVmFile(m.fs, m.files.get(fd)!), 0)).toBe(HINT);
  return fd;
}

/** The low word of the PTE mapping addr. */
function pteLo(m: FsMachine, addr: number): number {
  return m.vmm.ram.readU32(pteOffset(m.vmm, m.mm, addr));
}

function isDirty(m: FsMachine, pfn: number): boolean {
  return (m.vmm.pages.flags[m.vmm.pages.idx(pfn)]! & (1 << PG_dirty)) !== 0;
}

function store(m: FsMachine, addr: number, byte: number): void {
  expect(m.vmm.memset(m.mm, m.cpu, addr, byte, 1)).toBeNull();
}

function check(m: FsMachine): void {
  verifyFileSystem(m.fs);
  verifyVirtual(m.vmm, [m.mm]);
}

describe("write-back of mapped pages (folio_mkclean)", () => {
  it("fsync write-protects and cleans the PTE; the next write faults, redirties the page and the second fsync writes it", () => {
    const m = bootFs();
    const fd = mapped(m, 2);
    const inode = m.fs.names.get("data")!;
    const shadow = new Uint8Array(2 * 4096);
    store(m, HINT + 100, 0xa1); // do_shared_fault: page_mkwrite dirties, a writable dirty PTE
    shadow[100] = 0xa1;
    const pfn = inode.pages.load(0);
    expect(isDirty(m, pfn)).toBe(true);
    expect(pteLo(m, HINT) & (PTE_RW | PTE_D)).toBe(PTE_RW | PTE_D);
    const written = counter(m, "nr_written");
    const dirtied = counter(m, "nr_dirtied");
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect(counter(m, "nr_written") - written).toBe(1);
    // folio_clear_dirty_for_io -> folio_mkclean: the PTE is read-only and clean, the page clean
    expect(pteLo(m, HINT) & (PTE_RW | PTE_D)).toBe(0);
    expect(isDirty(m, pfn)).toBe(false);
    expect([counter(m, "nr_dirty"), counter(m, "nr_writeback")]).toEqual([0, 0]);
    check(m);
    // the second write is a write-protect fault (wp_page_shared): the page is dirty again
    const faults = counter(m, "pgfault");
    store(m, HINT + 200, 0xb2);
    shadow[200] = 0xb2;
    expect(counter(m, "pgfault") - faults).toBe(1);
    expect(isDirty(m, pfn)).toBe(true);
    expect(counter(m, "nr_dirty")).toBe(1);
    expect(counter(m, "nr_dirtied") - dirtied).toBe(1);
    expect(pteLo(m, HINT) & (PTE_RW | PTE_D)).toBe(PTE_RW | PTE_D);
    // a third write hits the writable PTE: no fault, nothing counted twice
    store(m, HINT + 300, 0xc3);
    shadow[300] = 0xc3;
    expect(counter(m, "pgfault") - faults).toBe(1);
    expect(counter(m, "nr_dirtied") - dirtied).toBe(1);
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect(counter(m, "nr_written") - written).toBe(2);
    check(m);
    // what is on disk: drop the mapping and the cache, read the file back
    expect(sysMunmap(m.vmm, m.mm, HINT, 2 * 4096)).toBe(0);
    expect(dropPagecache(m.fs)).toBe(2);
    expect(inode.pages.size).toBe(0);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 2 * 4096, 0)).toBe(2 * 4096);
    const back = new Uint8Array(2 * 4096);
    expect(m.vmm.load(m.mm, m.cpu, m.buf, back)).toBeNull();
    expect(back).toEqual(shadow);
    sysClose(m.fs, m.files, fd);
    check(m);
  });

  it("the flusher's periodic write-back cleans the mappings too (wb_workfn -> write_cache_pages)", () => {
    const m = bootFs();
    mapped(m, 1);
    const inode = m.fs.names.get("data")!;
    store(m, HINT, 0x11);
    const written = counter(m, "nr_written");
    // 40 s later: the page expired (dirty_expire_centisecs 3000) and the flusher woke (every 5 s)
    m.clock.ns = 40e9;
    runUntil(m.fs, m.clock.ns);
    expect(counter(m, "nr_written") - written).toBe(1);
    expect(isDirty(m, inode.pages.load(0))).toBe(false);
    expect(pteLo(m, HINT) & (PTE_RW | PTE_D)).toBe(0);
    const faults = counter(m, "pgfault");
    store(m, HINT + 1, 0x22);
    expect(counter(m, "pgfault") - faults).toBe(1);
    expect(counter(m, "nr_dirty")).toBe(1);
    check(m);
  });

  it("munmap of a dirty PTE over a clean page marks the page dirty (zap_present_folio_ptes: pte_dirty -> folio_mark_dirty)", () => {
    const m = bootFs();
    const fd = mapped(m, 1);
    const inode = m.fs.names.get("data")!;
    store(m, HINT, 0x5c);
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    const pfn = inode.pages.load(0);
    expect(isDirty(m, pfn)).toBe(false);
    // a mapping without write notify would leave the PTE writable after write-back; set the bits
    // the MMU sets on such a store (the test's stand-in for that hardware write)
    const ea = pteOffset(m.vmm, m.mm, HINT);
    m.vmm.ram.writeU32(ea, (m.vmm.ram.readU32(ea) | PTE_RW | PTE_D) >>> 0);
    const dirtied = counter(m, "nr_dirtied");
    expect(sysMunmap(m.vmm, m.mm, HINT, 4096)).toBe(0);
    expect(isDirty(m, pfn)).toBe(true);
    expect(counter(m, "nr_dirty")).toBe(1);
    expect(counter(m, "nr_dirtied") - dirtied).toBe(1);
    expect(inode.dirty).toBe(true);
    check(m);
  });
});
