// The firmware memory map (BIOS e820) of a QEMU/KVM "pc" (i440FX) machine booted with SeaBIOS,
// printed the way Linux prints it at boot (arch/x86/kernel/e820.c, e820__print_table:
// "BIOS-e820: [mem %#018Lx-%#018Lx] <type>", end inclusive). Does not model ACPI table
// contents, UEFI maps, or q35's MMCONFIG window.
//
// Layout (QEMU hw/i386/pc_piix.c; SeaBIOS src/fw/paravirt.c and memmap.c):
//   0x00000000-0x0009fbff  usable      conventional memory below 640 KiB
//   0x0009fc00-0x0009ffff  reserved    EBDA (1 KiB)
//   0x000f0000-0x000fffff  reserved    BIOS ROM shadow
//   0x00100000-low-128K-1  usable      RAM above 1 MiB
//   low-128K  -low-1       reserved    SeaBIOS's own high allocations (top 128 KiB of low RAM)
//   0xfeffc000-0xfeffffff  reserved    KVM identity-map / TSS pages QEMU reserves
//   0xfffc0000-0xffffffff  reserved    BIOS flash (256 KiB)
//   0x100000000-...        usable      the rest of RAM, above 4 GiB
// QEMU puts RAM below 4 GiB up to max_ram_below_4g (3.5 GiB); when the machine has at least
// that much it aligns the split to a gigabyte ("gigabyte_align"), so large machines have 3 GiB
// low and the rest above 4 GiB, and smaller ones fit entirely below the PCI hole.
import { BUG, MiB, GiB, KiB } from "@mmsim/base";

export type E820Type = "usable" | "reserved" | "ACPI data" | "ACPI NVS" | "unusable" | "persistent (type 7)" | "soft reserved";

export interface E820Entry {
  addr: number;
  size: number;
  type: E820Type;
}

/** QEMU pc's max_ram_below_4g default: 0xe0000000 (3.5 GiB). */
export const QEMU_MAX_RAM_BELOW_4G = 0xe0000000;
/** RAM below 4 GiB when the machine has at least QEMU_MAX_RAM_BELOW_4G: 3 GiB (gigabyte_align). */
export const QEMU_LOWMEM_GB_ALIGNED = 3 * GiB;
const EBDA_START = 0x9fc00;
const BIOS_START = 0xf0000;
const SEABIOS_HIGH_RESERVE = 128 * KiB;
const FOUR_GIB = 4 * GiB;

/**
 * The e820 map of a QEMU pc machine with `ramBytes` of RAM (a multiple of 1 MiB, at least
 * 4 MiB; anything else is a Bug: the kernel package validates user sizes).
 */
export function buildE820(opts: { ramBytes: number }): E820Entry[] {
  const ram = opts.ramBytes;
  if (!Number.isSafeInteger(ram) || ram < 4 * MiB || ram % MiB !== 0) BUG("buildE820", `ramBytes ${ram} must be a multiple of 1 MiB, at least 4 MiB`);
  const low = ram >= QEMU_MAX_RAM_BELOW_4G ? QEMU_LOWMEM_GB_ALIGNED : ram;
  const high = ram - low;
  const map: E820Entry[] = [
    { addr: 0, size: EBDA_START, type: "usable" },
    { addr: EBDA_START, size: 0xa0000 - EBDA_START, type: "reserved" },
    { addr: BIOS_START, size: 0x100000 - BIOS_START, type: "reserved" },
    { addr: 0x100000, size: low - SEABIOS_HIGH_RESERVE - 0x100000, type: "usable" },
    { addr: low - SEABIOS_HIGH_RESERVE, size: SEABIOS_HIGH_RESERVE, type: "reserved" },
    { addr: 0xfeffc000, size: 0x4000, type: "reserved" },
    { addr: 0xfffc0000, size: 0x40000, type: "reserved" },
  ];
  if (high > 0) map.push({ addr: FOUR_GIB, size: high, type: "usable" });
  return map;
}

/** Linux's boot lines for the map: "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable". */
export function formatE820(entries: readonly E820Entry[]): string[] {
  return entries.map((e) => `BIOS-e820: [mem 0x${hex16(e.addr)}-0x${hex16(e.addr + e.size - 1)}] ${e.type}`);
}

/** The usable ranges, in address order. */
export function e820Usable(entries: readonly E820Entry[]): E820Entry[] {
  return entries.filter((e) => e.type === "usable").sort((a, b) => a.addr - b.addr);
}

/**
 * One past the highest byte of RAM: the size the simulated Ram must have. RAM is the usable
 * ranges plus reserved ranges that directly follow one (memory the firmware kept, like the EBDA
 * and SeaBIOS's top 128 KiB); reservations in the PCI hole are not RAM.
 */
export function e820End(entries: readonly E820Entry[]): number {
  const usableEnds = new Set(entries.filter((e) => e.type === "usable").map((e) => e.addr + e.size));
  let end = 0;
  for (const e of entries) if (e.type === "usable" || usableEnds.has(e.addr)) end = Math.max(end, e.addr + e.size);
  return end;
}

function hex16(v: number): string {
  return v.toString(16).padStart(16, "0");
}
