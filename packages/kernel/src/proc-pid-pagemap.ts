// /proc/<pid>/pagemap as a binary file (fs/proc/task_mmu.c pagemap_read): 8 bytes per virtual
// page, little-endian, the entry of page N at offset N * 8, built by the virtual layer's
// pagemapRead (Documentation/admin-guide/mm/pagemap.rst):
//
//   63 present  62 swapped  61 file-page or shared-anon  58 guard region (6.15+)  57 uffd-wp
//   56 exclusively mapped  55 soft-dirty  54..0 pfn (swap type and offset when swapped)
//
// Since Linux 4.2 bits 0-54 are zero unless the reader has CAP_SYS_ADMIN (pm->show_pfn).
import { pagemapRead, type MmStruct, type VirtualMemory } from "@mmsim/virtual";
import type { ProcReader } from "./procfs";

/** PM_ENTRY_BYTES: one u64 per page. */
export const PM_ENTRY_BYTES = 8;
/** PM_PFRAME_MASK: bits 0-54, the pfn or the swap entry (PM_PFRAME_BITS = 55). */
const PM_PFRAME_MASK = (1n << 55n) - 1n;
/** PAGEMAP_WALK_SIZE = PMD_SIZE: pagemap_read walks (and copies out) 512 pages at a time. */
const PAGEMAP_WALK_PAGES = 512;
const EINVAL = 22;

/**
 * pagemap_read: `count` bytes at `offset` of mm's pagemap, or -EINVAL when either is not a
 * multiple of 8. Stops at the end of the user address space (TASK_SIZE), so a read there
 * returns fewer bytes (0 past it). The pfn bits read as zero without CAP_SYS_ADMIN.
 */
export function pagemapFileRead(vmm: VirtualMemory, mm: MmStruct, offset: number, count: number, reader: ProcReader): Uint8Array | number {
  if (offset % PM_ENTRY_BYTES !== 0 || count % PM_ENTRY_BYTES !== 0 || offset < 0 || count < 0) return -EINVAL;
  const firstPage = offset / PM_ENTRY_BYTES;
  const taskPages = Math.floor(mm.taskSize / 4096);
  const n = Math.max(0, Math.min(count / PM_ENTRY_BYTES, taskPages - firstPage));
  const out = new Uint8Array(n * PM_ENTRY_BYTES);
  const view = new DataView(out.buffer);
  for (let done = 0; done < n; done += PAGEMAP_WALK_PAGES) {
    const batch = pagemapRead(vmm, mm, (firstPage + done) * 4096, Math.min(PAGEMAP_WALK_PAGES, n - done));
    for (let i = 0; i < batch.length; i++) {
      const e = reader.capSysAdmin ? batch[i]! : batch[i]! & ~PM_PFRAME_MASK;
      view.setBigUint64((done + i) * PM_ENTRY_BYTES, e, true);
    }
  }
  return out;
}

/** One pagemap entry's fields, by pagemap.rst's names. */
export interface PagemapEntry {
  present: boolean;
  swapped: boolean;
  /** file-page or shared-anon (bit 61) */
  file: boolean;
  /** guard region (bit 58, 6.15) */
  guard: boolean;
  uffdWp: boolean;
  /** exclusively mapped (bit 56) */
  exclusive: boolean;
  softDirty: boolean;
  /** bits 0-54: the pfn when present, the swap type (bits 0-4) and offset (5-54) when swapped; 0 when hidden */
  pfn: number;
}

/** Decodes a 64-bit pagemap entry (as pagemap.rst lists the bits). */
export function decodePagemapEntry(e: bigint): PagemapEntry {
  const bit = (n: bigint) => ((e >> n) & 1n) === 1n;
  return {
    present: bit(63n), swapped: bit(62n), file: bit(61n), guard: bit(58n), uffdWp: bit(57n), exclusive: bit(56n), softDirty: bit(55n),
    pfn: Number(e & PM_PFRAME_MASK),
  };
}

/** The swap type's bits of a swapped entry (bits 0-4, MAX_SWAPFILES_SHIFT = 5). */
const PM_SWAP_TYPE_PAGES = 32;

/**
 * A pagemap entry's fields by pagemap.rst's names, for a scenario's `expect`: the flag bits
 * (present 63, swapped 62, file 61 "file-page or shared-anon", guard 58, uffd-wp 57, exclusive
 * 56 "exclusively mapped", soft-dirty 55) read as 0 or 1; pfn is bits 0-54, and a swapped
 * entry's swap-type (bits 0-4) and swap-offset (bits 5-54).
 */
export const PAGEMAP_FIELDS = ["present", "swapped", "file", "guard", "uffd-wp", "exclusive", "soft-dirty", "pfn", "swap-type", "swap-offset"] as const;

/** One of PAGEMAP_FIELDS. */
export type PagemapField = (typeof PAGEMAP_FIELDS)[number];

/** Whether `f` is a one-bit field (0 or 1) rather than a number (pfn, swap-type, swap-offset). */
export function pagemapFieldIsFlag(f: PagemapField): boolean {
  return f !== "pfn" && f !== "swap-type" && f !== "swap-offset";
}

/** The value of field `f` of a decoded entry: 0 or 1 for a flag, a number for the others. */
export function pagemapFieldValue(e: PagemapEntry, f: PagemapField): number {
  switch (f) {
    case "present": return e.present ? 1 : 0;
    case "swapped": return e.swapped ? 1 : 0;
    case "file": return e.file ? 1 : 0;
    case "guard": return e.guard ? 1 : 0;
    case "uffd-wp": return e.uffdWp ? 1 : 0;
    case "exclusive": return e.exclusive ? 1 : 0;
    case "soft-dirty": return e.softDirty ? 1 : 0;
    case "pfn": return e.pfn;
    // pfn reaches 2^55: division, not shifts (values above 32 bits)
    case "swap-type": return e.pfn % PM_SWAP_TYPE_PAGES;
    case "swap-offset": return Math.floor(e.pfn / PM_SWAP_TYPE_PAGES);
  }
}
