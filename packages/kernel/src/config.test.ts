import { describe, expect, it } from "vitest";
import { inputError } from "../test/input-error";
import { GiB, MiB } from "@mmsim/base";
import { DEFAULT_KERNEL_IMAGE, kernelImageLayout } from "@mmsim/physical";
import { Kernel } from "./kernel";
import { DEFAULT_MACHINE, MIN_RAM, parseMachineConfig, parseSysctlAssignment } from "./config";


describe("machine config", () => {
  it("defaults to an 8 GiB, 2-CPU, 1-node, 4-level x86_64 machine with SLUB", () => {
    expect(parseMachineConfig(undefined)).toEqual({
      ram: 8 * GiB, cpus: 2, nodes: 1, swap: 0, pagingLevels: 4, arch: "x86_64", pae: false,
      kernelcore: 0, movablecore: 0, allocator: "slub", transparentHugepage: "madvise", sysctl: {},
    });
    expect(DEFAULT_MACHINE.ram).toBe(8589934592);
  });

  it("parses sizes with units, paging levels and sysctls (lists joined by tabs, as /proc/sys prints them)", () => {
    const m = parseMachineConfig({ ram: "2G", swap: "512MiB", paging: 5, cpus: 4, sysctl: { "vm.lowmem_reserve_ratio": [256, 256, 32, 0, 0], "vm.min_free_kbytes": 20000 } });
    expect(m.ram).toBe(2 * GiB);
    expect(m.swap).toBe(512 * MiB);
    expect(m.pagingLevels).toBe(5);
    expect(m.sysctl).toEqual({ "vm.lowmem_reserve_ratio": "256\t256\t32\t0\t0", "vm.min_free_kbytes": "20000" });
  });

  it("names the field and what was expected on bad input", () => {
    expect(inputError(() => parseMachineConfig({ ram: "8XB" }))).toBe(
      'machine.ram: invalid size "8XB": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB',
    );
    expect(inputError(() => parseMachineConfig({ cpus: 0 }))).toBe("machine.cpus: expected a whole number from 1 to 64, got 0");
    expect(inputError(() => parseMachineConfig({ paging: 3 }))).toBe("machine.paging: expected one of 4, 5, got 3");
    expect(inputError(() => parseMachineConfig({ rams: "1G" }))).toBe(
      "machine.rams: unknown field; expected one of: ram, cpus, nodes, swap, paging, arch, pae, kernelcore, movablecore, allocator, slub_debug, transparent_hugepage, sysctl",
    );
    expect(inputError(() => parseMachineConfig({ ram: "16M" }))).toBe("machine.ram: expected a RAM size from 64MiB to 256GiB, got 16777216 bytes");
    // splitNodes() needs a 128 MiB section of usable RAM per node; the e820 holes take a little
    // (256 MiB of usable RAM for two nodes needs 260 MiB: RAM comes in 4 MiB steps and the
    // e820 map takes 1 MiB below 1 MiB)
    expect(inputError(() => parseMachineConfig({ ram: "256M", nodes: 2 }))).toBe(
      "machine.nodes: 2 nodes need at least 260MiB of RAM (128MiB of usable RAM each); 256MiB leaves 255MiB usable after the e820 holes, enough for 1 node",
    );
    expect(inputError(() => parseMachineConfig({ ram: "512M", nodes: 4 }))).toBe(
      "machine.nodes: 4 nodes need at least 516MiB of RAM (128MiB of usable RAM each); 512MiB leaves 511MiB usable after the e820 holes, enough for 3 nodes",
    );
    // below one section a machine still boots one node, never "at most 0 nodes"
    expect(inputError(() => parseMachineConfig({ ram: "64M", nodes: 2 }))).toBe(
      "machine.nodes: 2 nodes need at least 260MiB of RAM (128MiB of usable RAM each); 64MiB leaves 63MiB usable after the e820 holes, enough for 1 node",
    );
    expect(parseMachineConfig({ ram: "260M", nodes: 2 }).nodes).toBe(2);
    expect(inputError(() => parseMachineConfig({ arch: "i386", ram: "8G" }))).toBe(
      "machine.ram: expected a RAM size from 64MiB to 4GiB (i386, PAE too: Linux 6.15 removed HIGHMEM64G), got 8589934592 bytes",
    );
  });

  it("pae: true selects PAE paging on i386 only, and must be a boolean", () => {
    expect(parseMachineConfig({ arch: "i386", ram: "1G" }).pae).toBe(false);
    expect(parseMachineConfig({ arch: "i386", ram: "1G", pae: true }).pae).toBe(true);
    expect(inputError(() => parseMachineConfig({ pae: true }))).toBe("machine.pae: PAE is an i386 paging mode: give arch: i386 with it");
    expect(inputError(() => parseMachineConfig({ arch: "i386", ram: "1G", pae: "yes" }))).toBe('machine.pae: expected true or false, got "yes"');
  });

  it("boots nothing smaller than 64 MiB: RAM must hold the kernel image loaded at 16 MiB", () => {
    const image = kernelImageLayout(DEFAULT_KERNEL_IMAGE, "x86_64");
    expect(image.text.start).toBe(16 * MiB);
    expect(image.reserved.end).toBeLessThan(MIN_RAM);
    expect(MIN_RAM).toBe(64 * MiB);
    expect(inputError(() => parseMachineConfig({ ram: "60M" }))).toBe("machine.ram: expected a RAM size from 64MiB to 256GiB, got 62914560 bytes");
    expect(parseMachineConfig({ ram: "64M" }).ram).toBe(64 * MiB);
  });

  it("refuses more CPUs than a small machine can hold per-CPU areas for (Linux would panic at boot)", () => {
    expect(parseMachineConfig({ ram: "64M", cpus: 56 }).cpus).toBe(56);
    expect(inputError(() => parseMachineConfig({ ram: "64M", cpus: 57 }))).toBe(
      "machine.cpus: 57 CPUs need 16MiB of per-CPU areas on a node of 64MiB; mmsim keeps them under a quarter of a node's RAM (Linux panics when memblock cannot hold them): at most 56 CPUs, or more RAM",
    );
    expect(parseMachineConfig({ ram: "96M", cpus: 64 }).cpus).toBe(64);
    expect(Kernel.boot(parseMachineConfig({ ram: "64M", cpus: 56 })).config.cpus).toBe(56);
  });

  it("never prints [object Object]: slub_debug, paging and swap say what they expected", () => {
    expect(inputError(() => parseMachineConfig({ slub_debug: { a: 1 } }))).toBe(
      'machine.slub_debug: expected slub_debug flags like FZPU or "ZP,kmalloc-64" (or nothing for all), got a mapping',
    );
    expect(inputError(() => parseMachineConfig({ slub_debug: 7 }))).toBe(
      'machine.slub_debug: expected slub_debug flags like FZPU or "ZP,kmalloc-64" (or nothing for all), got 7',
    );
    // the flags are checked with the field, before anything boots (kernel-alloc's parseSlubDebug)
    expect(inputError(() => parseMachineConfig({ slub_debug: "X" }))).toBe('machine.slub_debug: "X": flags must be letters from F Z P U T A O or -');
    expect(parseMachineConfig({ slub_debug: null }).slubDebug).toBe("");
    expect(parseMachineConfig({ slub_debug: "ZP,kmalloc-64" }).slubDebug).toBe("ZP,kmalloc-64");
    expect(inputError(() => parseMachineConfig({ paging: [4] }))).toBe("machine.paging: expected one of 4, 5, got a list");
    expect(parseMachineConfig({ paging: "5" }).pagingLevels).toBe(5);
    // mkswap needs 10 pages (MIN_GOODPAGES, util-linux disk-utils/mkswap.c); swap is in pages
    expect(inputError(() => parseMachineConfig({ swap: 4 }))).toBe("machine.swap: expected 0 (no swap) or a multiple of 4KiB of at least 40KiB (mkswap's 10 pages), got 4 bytes");
    expect(inputError(() => parseMachineConfig({ swap: "36K" }))).toBe("machine.swap: expected 0 (no swap) or a multiple of 4KiB of at least 40KiB (mkswap's 10 pages), got 36864 bytes");
    expect(inputError(() => parseMachineConfig({ swap: 40961 }))).toBe("machine.swap: expected 0 (no swap) or a multiple of 4KiB of at least 40KiB (mkswap's 10 pages), got 40961 bytes");
    expect(parseMachineConfig({ swap: "40K" }).swap).toBe(40960);
    expect(parseMachineConfig({ swap: 0 }).swap).toBe(0);
  });

  it("parses key=value sysctl assignments and rejects anything else", () => {
    expect(parseSysctlAssignment("vm.min_free_kbytes=20000")).toEqual(["vm.min_free_kbytes", "20000"]);
    expect(inputError(() => parseSysctlAssignment("vm.min_free_kbytes"))).toBe(
      'invalid --sysctl "vm.min_free_kbytes": expected key=value, like vm.min_free_kbytes=20000',
    );
  });
});
