// Anonymous THP against published Linux behaviour:
// - tools/testing/selftests/mm/cow.c, "Basic COW after fork() ... with THP" (test_cow_in_parent /
//   do_test_cow_in_parent, run_with_thp): after fork, a write by the child to a PMD-mapped THP
//   must not be visible to the parent, nor the parent's to the child ("No leak from parent into
//   child" / "no leak from child into parent"); the same for base pages.
// - Documentation/admin-guide/mm/transhuge.rst: AnonHugePages in /proc/meminfo and smaps counts
//   PMD-mapped anonymous THPs; thp_split_pmd counts a PMD split by mprotect/munmap of part of it.
import { describe, expect, test } from "vitest";
import { bootVirtual, freePagesNow, newMm } from "../test/boot";
import { sysMmap } from "../src/syscalls";
import { doMprotect } from "../src/mprotect";
import { verifyVirtual } from "../src/verify";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "../src/mm-flags";
import { pmdOffset, PTE_PSE } from "../src/pte";
import { showSmaps, showSmapsRollup } from "../src/task-mmu";
import type { VirtualMemory } from "../src/virtual-memory";
import type { MmStruct } from "../src/mm-types";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MIB2 = 2 * 1024 * 1024;

function isHuge(vmm: VirtualMemory, mm: MmStruct, addr: number): boolean {
  const pmd = pmdOffset(vmm, mm, addr);
  return pmd >= 0 && (vmm.ram.readU32(pmd) & PTE_PSE) !== 0;
}

function fill(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number, v: number, cpu = 0): void {
  expect(vmm.memset(mm, vmm.cpus[cpu], addr, v, len)).toBeNull();
}

/** Every byte of [addr, addr + len) equals v. */
function allEqual(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number, v: number, cpu = 0): boolean {
  const out = new Uint8Array(len);
  expect(vmm.load(mm, vmm.cpus[cpu], addr, out)).toBeNull();
  return out.every((b) => b === v);
}

describe("selftests/mm/cow.c: no leak between parent and child", () => {
  for (const [name, size, thp] of [["THP", MIB2, true], ["base page", 4096, false]] as const) {
    test(`${name}: the child's writes stay in the child, the parent's in the parent`, () => {
      const vmm = bootVirtual({ thpEnabled: thp ? "always" : "never" });
      const boot = freePagesNow(vmm);
      const parent = newMm(vmm);
      const a = sysMmap(vmm, parent, 0, size, RW, ANON, null, 0);
      // cow.c populates the range with memset(mem, 1, size) and checks it is PMD-mapped
      fill(vmm, parent, a, size, 1);
      expect(isHuge(vmm, parent, a)).toBe(thp);
      const child = vmm.fork(parent)!;
      // do_test_cow_in_parent: the child modifies, the parent's copy must be unchanged
      fill(vmm, child, a, size, 0xff, 1);
      expect(allEqual(vmm, parent, a, size, 1)).toBe(true);
      expect(allEqual(vmm, child, a, size, 0xff, 1)).toBe(true);
      // and the other way around
      fill(vmm, parent, a, size, 2);
      expect(allEqual(vmm, child, a, size, 0xff, 1)).toBe(true);
      expect(allEqual(vmm, parent, a, size, 2)).toBe(true);
      verifyVirtual(vmm, [parent, child]);
      vmm.exitMm(child);
      vmm.exitMm(parent);
      verifyVirtual(vmm, []);
      expect(freePagesNow(vmm)).toBe(boot);
    });
  }
});

describe("transhuge.rst: AnonHugePages and a PMD split", () => {
  test("a 2 MiB-aligned 4 MiB mapping written once per 2 MiB gets two PMD mappings (AnonHugePages 4096 kB); mprotect of 4 KiB in its middle splits one", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 2 * MIB2, RW, ANON, null, 0);
    expect(a % MIB2).toBe(0);
    fill(vmm, mm, a, 1, 5);
    fill(vmm, mm, a + MIB2, 1, 6);
    expect(isHuge(vmm, mm, a) && isHuge(vmm, mm, a + MIB2)).toBe(true);
    expect(vmm.phys.counters.get("nr_anon_transparent_hugepages")).toBe(2);
    expect(showSmaps(vmm, mm, "always")).toContain("AnonHugePages:      4096 kB\n");
    expect(showSmapsRollup(vmm, mm)).toContain("AnonHugePages:      4096 kB\n");
    // 4 KiB in the middle of the second 2 MiB: the VMA splits in three, so does that PMD
    const mid = a + MIB2 + MIB2 / 2;
    expect(doMprotect(vmm, mm, mid, 4096, PROT_READ)).toBe(0);
    expect(vmm.phys.counters.get("thp_split_pmd")).toBe(1);
    expect(isHuge(vmm, mm, a)).toBe(true);
    expect(isHuge(vmm, mm, a + MIB2)).toBe(false);
    expect(vmm.phys.counters.get("nr_anon_transparent_hugepages")).toBe(1);
    expect(showSmapsRollup(vmm, mm)).toContain("AnonHugePages:      2048 kB\n");
    expect(showSmapsRollup(vmm, mm)).toContain("Rss:                4096 kB\n");
    expect(vmm.store(mm, vmm.cpus[0], mid, new Uint8Array([1]))!.code).toBe(2); // SEGV_ACCERR
    expect(allEqual(vmm, mm, a + MIB2, 1, 6)).toBe(true);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
  });
});
