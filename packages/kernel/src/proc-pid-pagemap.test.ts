// /proc/<pid>/pagemap read as a file: offsets, lengths, bits (Documentation/admin-guide/mm/pagemap.rst,
// fs/proc/task_mmu.c pagemap_read).
import { describe, expect, it } from "vitest";
import { InputError } from "@mmsim/base";
import { Kernel } from "./kernel";
import { FAULT_DEMO_LAYOUT, spawnFaultDemo } from "./fault-demo";
import { explainFault } from "./fault-explain";
import { ROOT_READER } from "./procfs";
import { decodePagemapEntry } from "./proc-pid-pagemap";
import { virtualOf } from "./virtual-kernel";

const region = (name: string) => FAULT_DEMO_LAYOUT.find((r) => r.name === name)!;
const PRESENT = 1n << 63n;
const EXCLUSIVE = 1n << 56n;
const FILE = 1n << 61n;

function entries(bytes: Uint8Array | number): bigint[] {
  if (typeof bytes === "number") throw new Error(`errno ${bytes}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 8 }, (_, i) => v.getBigUint64(i * 8, true));
}

describe("/proc/<pid>/pagemap", () => {
  const k = Kernel.boot({ ram: 256 * 1024 * 1024 });
  const { task: child, parent } = spawnFaultDemo(k, { afterFork: true });
  const path = `/proc/${parent!.pid}/pagemap`;
  const heap = region("[heap]").start;
  // the heap's first page is written, shared with the child; the second is untouched
  const heapPfn = explainFault(k, parent!, heap, "read").result!.pa / 4096;
  explainFault(k, parent!, heap + 4096, "read"); // the zero page

  it("is a binary file: 8 little-endian bytes per page at offset vaddr / 4096 * 8", () => {
    expect(k.procfs.isBinary(path)).toBe(true);
    const e = entries(k.procfs.readBytes(path, (heap / 4096) * 8, 24));
    // present, pfn; shared with the child (mapcount 2): not exclusive; anonymous: not PM_FILE
    expect(e[0]).toBe(PRESENT | BigInt(heapPfn));
    // the zero page: present, its pfn, and (pte_special: no page) neither exclusive nor file
    expect(e[1]).toBe(PRESENT | BigInt(virtualOf(k).vmm.zeroPfn));
    expect(e[2]).toBe(0n);
  });

  it("marks a page mapped once exclusive; the child's COW copy is its own", () => {
    explainFault(k, child, heap, "write");
    const c = entries(k.procfs.readBytes(`/proc/${child.pid}/pagemap`, (heap / 4096) * 8, 8))[0]!;
    const p = entries(k.procfs.readBytes(path, (heap / 4096) * 8, 8))[0]!;
    expect(p).toBe(PRESENT | EXCLUSIVE | BigInt(heapPfn));
    expect(c & PRESENT && c & EXCLUSIVE).toBeTruthy();
    expect(c & ((1n << 55n) - 1n)).not.toBe(BigInt(heapPfn));
    expect(c & FILE).toBe(0n);
  });

  it("hides the pfn (bits 0-54) from a reader without CAP_SYS_ADMIN", () => {
    const e = entries(k.procfs.readBytes(path, (heap / 4096) * 8, 8, { capSysAdmin: false }))[0]!;
    expect(e).toBe(PRESENT | EXCLUSIVE);
    expect(ROOT_READER.capSysAdmin).toBe(true);
  });

  it("returns -EINVAL for an unaligned offset or count, and stops at TASK_SIZE", () => {
    expect(k.procfs.readBytes(path, 4, 8)).toBe(-22);
    expect(k.procfs.readBytes(path, 8, 12)).toBe(-22);
    // TASK_SIZE = 2^47 - 4096: the last user page's entry is at (2^35 - 2) * 8
    const last = (2 ** 35 - 2) * 8;
    expect(entries(k.procfs.readBytes(path, last, 64))).toHaveLength(1);
    expect((k.procfs.readBytes(path, last + 8, 64) as Uint8Array).length).toBe(0);
  });

  it("cat refuses it clearly; a task name stands for its pid", () => {
    expect(() => k.cat(path)).toThrow(InputError);
    expect(() => k.cat(path)).toThrow(`cat: ${path}: a binary file (one 64-bit entry per virtual page, 8 bytes at offset vaddr / 4096 * 8); cat prints text files only`);
    expect(k.procfs.isBinary("/proc/fault-child/pagemap")).toBe(true);
  });

  it("is removed with its task", () => {
    virtualOf(k).exit(child);
    expect(k.procfs.has(`/proc/${child.pid}/pagemap`)).toBe(false);
  });

  it("decodePagemapEntry names the bits as pagemap.rst does", () => {
    expect(decodePagemapEntry(PRESENT | EXCLUSIVE | 0x12345n)).toEqual({
      present: true, swapped: false, file: false, guard: false, uffdWp: false, exclusive: true, softDirty: false, pfn: 0x12345,
    });
    expect(decodePagemapEntry((1n << 62n) | (1n << 61n) | (1n << 58n) | (1n << 57n) | (1n << 55n) | ((1n << 55n) - 1n))).toEqual({
      present: false, swapped: true, file: true, guard: true, uffdWp: true, exclusive: false, softDirty: true, pfn: 2 ** 55 - 1,
    });
  });
});
