// verify() of vmalloc still catches broken page tables after it was made cheap (one page-table
// walk per 2 MiB region for all areas and guard pages): each test corrupts one PTE.
import { describe, expect, test } from "vitest";
import { Bug } from "@mmsim/base";
import { lookupPte } from "@mmsim/hardware";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";

/** Two areas: a (1 page, guard at a + 4096) and b (3 pages) right after it, verified clean. */
function twoAreas() {
  const { ka, m } = bootKa();
  const a = ka.vmalloc(4096, GFP_KERNEL, "test_a");
  const b = ka.vmalloc(3 * 4096, GFP_KERNEL, "test_b");
  expect(b - a).toBe(8192);
  ka.verify();
  const pte = (va: number) => lookupPte(m.ram, ka.vm.pgd, va, 4)!;
  return { ka, m, a, b, pte };
}

function verifyError(verify: () => void): string {
  try {
    verify();
  } catch (e) {
    expect(e).toBeInstanceOf(Bug);
    return (e as Bug).message;
  }
  throw new Error("verify() found nothing wrong");
}

describe("vmalloc verify() catches", () => {
  test("a mapped guard page", () => {
    const { ka, m, a, pte } = twoAreas();
    const page = pte(a);
    m.ram.writeU32(pte(a + 4096).entryPa, page.lo);
    expect(verifyError(() => ka.verify())).toBe(`vmalloc.verify: guard page of area 0x${a.toString(16)} is mapped`);
  });

  test("an area page whose PTE is cleared", () => {
    const { ka, m, b, pte } = twoAreas();
    m.ram.writeU32(pte(b + 4096).entryPa, 0);
    expect(verifyError(() => ka.verify())).toBe(`vmalloc.verify: page 1 of area 0x${b.toString(16)} is not mapped to pfn ${ka.vm.findVmArea(b)!.pages[1]}`);
  });

  test("an area page mapped to another frame", () => {
    const { ka, m, a, b, pte } = twoAreas();
    const other = pte(a);
    m.ram.writeU32(pte(b + 2 * 4096).entryPa, other.lo);
    expect(verifyError(() => ka.verify())).toBe(`vmalloc.verify: page 2 of area 0x${b.toString(16)} is not mapped to pfn ${ka.vm.findVmArea(b)!.pages[2]}`);
  });
});
