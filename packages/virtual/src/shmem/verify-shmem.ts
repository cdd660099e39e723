// verify() of shmem (CONFIG_DEBUG_VM for mm/shmem.c). Invariants:
//   - every live shmem inode sits in its slot; its i_pages recount to nrpages and each entry is
//     an allocated page naming the inode and its index, swap-backed, uptodate, unlocked, not past
//     EOF, held by the page cache and one reference per PTE (refcount = mapcount + 2);
//   - info->alloced = nrpages (no swap); the mount's used blocks add up and stay within size=;
//   - Committed_AS held: VM_ACCT(i_size) for a fixed-size object, alloced for a VM_NORESERVE one;
//   - an inode lives while it has a name, a descriptor or a mapping, and its mappings' file
//     references equal the VMAs in i_mmap;
//   - the pages recount to NR_SHMEM (nr_shmem) and to the layer's share of NR_FILE_PAGES.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { PG_locked, PG_swapbacked, PG_uptodate } from "@mmsim/physical";
import { SHMEM_MAPPING_BASE, vmAcct } from "./shmem";
import type { Shmem, ShmemSb } from "./shmem";

const SWAPBACKED = 1 << PG_swapbacked;
const UPTODATE = 1 << PG_uptodate;
const LOCKED = 1 << PG_locked;

/** Checks every invariant above; throws Bug on the first broken one. */
export function verifyShmem(shmem: Shmem): void {
  const pages = shmem.vmm.pages;
  let nr = 0;
  let committed = 0;
  const used = new Map<ShmemSb, [number, number]>();
  for (let slot = 0; slot < shmem.inodes.length; slot++) {
    const inode = shmem.inodes[slot];
    if (!inode) continue;
    const at = `shmem inode ${inode.ino} of ${inode.sb.name}`;
    if (inode.mappingId !== SHMEM_MAPPING_BASE + slot) BUG("verifyShmem", `${at} filed under slot ${slot}`);
    const n = inode.pages.recount();
    if (n !== inode.pages.size) BUG("verifyShmem", `${at}: i_pages holds ${n}, nrpages ${inode.pages.size}`);
    const endIndex = Math.ceil(inode.size / PAGE_SIZE);
    inode.pages.forEach(0, 2 ** 32 - 1, (index, pfn) => {
      const i = pages.idx(pfn);
      if (i < 0 || pages.refcount[i]! < 1) BUG("verifyShmem", `${at} index ${index}: pfn ${pfn} is not an allocated page`);
      if (pages.mapping[i] !== inode.mappingId << 1 || pages.index[i] !== index) BUG("verifyShmem", `pfn ${pfn} at ${at}:${index} has mapping ${pages.mapping[i]} index ${pages.index[i]}`);
      const f = pages.flags[i]!;
      if ((f & (SWAPBACKED | UPTODATE | LOCKED)) !== (SWAPBACKED | UPTODATE)) BUG("verifyShmem", `pfn ${pfn} at ${at}:${index}: flags ${f.toString(16)} not swapbacked, uptodate and unlocked`);
      if (index >= endIndex) BUG("verifyShmem", `pfn ${pfn} at ${at}:${index} lies past EOF (${inode.size} bytes)`);
      if (pages.refcount[i] !== pages.mapcount[i]! + 2) BUG("verifyShmem", `pfn ${pfn} at ${at}:${index}: refcount ${pages.refcount[i]}, mapcount ${pages.mapcount[i]}`);
    });
    if (inode.alloced !== n) BUG("verifyShmem", `${at}: alloced ${inode.alloced} but ${n} pages`);
    const want = inode.noreserve ? inode.alloced : vmAcct(inode.size);
    if (inode.committed !== want) BUG("verifyShmem", `${at}: holds ${inode.committed} pages of Committed_AS, should hold ${want}`);
    if (inode.nlink === 0 && inode.openCount === 0 && inode.mapRefs === 0) BUG("verifyShmem", `${at} is unlinked, closed and unmapped but alive`);
    if (inode.mapRefs !== inode.iMmap.iMmap.length) BUG("verifyShmem", `${at}: ${inode.mapRefs} mapping references, ${inode.iMmap.iMmap.length} VMAs in i_mmap`);
    const u = used.get(inode.sb) ?? [0, 0];
    u[0] += inode.alloced;
    u[1]++;
    used.set(inode.sb, u);
    nr += n;
    committed += inode.committed;
  }
  for (const [sb, [blocks, inodes]] of used) {
    if (sb.usedBlocks !== blocks || sb.nrInodes !== inodes) BUG("verifyShmem", `${sb.name}: used_blocks ${sb.usedBlocks}, ${sb.nrInodes} inodes; recount ${blocks}, ${inodes}`);
    if (sb.maxBlocks !== 0 && blocks > sb.maxBlocks) BUG("verifyShmem", `${sb.name}: ${blocks} blocks beyond size= ${sb.maxBlocks}`);
  }
  if (!used.has(shmem.shmMnt) && (shmem.shmMnt.usedBlocks !== 0 || shmem.shmMnt.nrInodes !== 0)) BUG("verifyShmem", "shm_mnt counts blocks or inodes it has not");
  if (nr !== shmem.nrPages || committed !== shmem.committedPages) BUG("verifyShmem", `${shmem.nrPages} pages and ${shmem.committedPages} committed counted, recount ${nr} and ${committed}`);
  const c = shmem.vmm.phys.counters.get("nr_shmem");
  if (c !== nr) BUG("verifyShmem", `nr_shmem ${c} but ${nr} shmem pages`);
}
