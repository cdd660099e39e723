// mm_counter and mm_counter_file (include/linux/mm.h): which rss_stat counter a mapped page
// moves. Anonymous pages are MM_ANONPAGES; page-cache pages are MM_SHMEMPAGES when swap-backed
// (shmem and tmpfs: RssShmem) and MM_FILEPAGES otherwise (RssFile).
import { PG_swapbacked } from "@mmsim/physical";
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES } from "../memory";
import type { VirtualMemory } from "../virtual-memory";

const SWAPBACKED = 1 << PG_swapbacked;

/** mm_counter_file: MM_SHMEMPAGES for a swap-backed page-cache page, else MM_FILEPAGES. */
export function mmCounterFile(vmm: VirtualMemory, pfn: number): number {
  return (vmm.pages.flags[vmm.pages.idx(pfn)]! & SWAPBACKED) !== 0 ? MM_SHMEMPAGES : MM_FILEPAGES;
}

/** mm_counter: MM_ANONPAGES for an anonymous page (PAGE_MAPPING_ANON), else mm_counter_file. */
export function mmCounter(vmm: VirtualMemory, pfn: number): number {
  return (vmm.pages.mapping[vmm.pages.idx(pfn)]! & 1) !== 0 ? MM_ANONPAGES : mmCounterFile(vmm, pfn);
}
