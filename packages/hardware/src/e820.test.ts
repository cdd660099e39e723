import { describe, expect, it } from "vitest";
import { GiB } from "@mmsim/base";
import { buildE820, e820End, e820Usable, formatE820 } from "./e820";

// Expected lines follow a QEMU pc machine with SeaBIOS as Linux prints them
// (arch/x86/kernel/e820.c e820__print_table, end inclusive).
describe("e820", () => {
  it("a 1 GiB machine fits below the PCI hole", () => {
    expect(formatE820(buildE820({ ramBytes: 1 * GiB }))).toEqual([
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
      "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
      "BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved",
      "BIOS-e820: [mem 0x0000000000100000-0x000000003ffdffff] usable",
      "BIOS-e820: [mem 0x000000003ffe0000-0x000000003fffffff] reserved",
      "BIOS-e820: [mem 0x00000000feffc000-0x00000000feffffff] reserved",
      "BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved",
    ]);
  });

  it("an 8 GiB machine has 3 GiB below the hole and 5 GiB from 4 GiB up", () => {
    const map = buildE820({ ramBytes: 8 * GiB });
    expect(formatE820(map)).toEqual([
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
      "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
      "BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved",
      "BIOS-e820: [mem 0x0000000000100000-0x00000000bffdffff] usable",
      "BIOS-e820: [mem 0x00000000bffe0000-0x00000000bfffffff] reserved",
      "BIOS-e820: [mem 0x00000000feffc000-0x00000000feffffff] reserved",
      "BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved",
      "BIOS-e820: [mem 0x0000000100000000-0x000000023fffffff] usable",
    ]);
    expect(e820End(map)).toBe(9 * GiB);
    expect(e820Usable(map).reduce((s, e) => s + e.size, 0)).toBe(8 * GiB - 0x60400 - 0x20000);
  });

  it("a 64 GiB machine ends at 0x103fffffff", () => {
    const lines = formatE820(buildE820({ ramBytes: 64 * GiB }));
    expect(lines[3]).toBe("BIOS-e820: [mem 0x0000000000100000-0x00000000bffdffff] usable");
    expect(lines[7]).toBe("BIOS-e820: [mem 0x0000000100000000-0x000000103fffffff] usable");
    expect(lines.length).toBe(8);
  });

  it("keeps 3.25 GiB entirely below 4 GiB (below max_ram_below_4g)", () => {
    const map = buildE820({ ramBytes: 3.25 * GiB });
    expect(e820End(map)).toBe(3.25 * GiB);
    expect(map.length).toBe(7);
  });
});
