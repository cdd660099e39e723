// examples/scenarios/demand-paging.yaml: Rss in smaps and pagemap's present and exclusive bits as
// pages are touched (do_anonymous_page), read (the zero page: present, not in Rss, as
// smaps_pte_entry skips a special PTE), copied on a store (do_wp_page) and zapped (MADV_DONTNEED).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";

const EXAMPLE = new URL("../../../examples/scenarios/demand-paging.yaml", import.meta.url);

describe("examples/scenarios/demand-paging.yaml", () => {
  it("runs with --verify and prints exactly this", () => {
    const out = formatResults(runScenario(loadScenario(readFileSync(EXAMPLE, "utf8"), "demand-paging.yaml"), { verify: true }).results);
    const ok = (e: string) => `$ expect ${e}\nok\n`;
    const pm = (at: string, field: string, v: number) => ok(`/proc/app/pagemap at ${at} ${field} = ${v}`);
    const rss = (kb: number) => ok(`/proc/app/smaps at buf Rss = ${kb} kB`);
    const faults = (n: number) => ok(`/proc/vmstat pgfault = ${n}`);
    expect(out).toBe(
      "$ spawn app\npid 1 on CPU 0\n" +
        "$ app: mmap(NULL, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) as buf\n= 0x7ffff7fef000\n" +
        ok("/proc/app/smaps at buf Size = 64 kB") + rss(0) + pm("buf", "present", 0) + faults(0) +
        "$ app: store 8 bytes of 0xaa at buf\n" +
        faults(1) + pm("buf", "present", 1) + pm("buf", "exclusive", 1) + pm("buf+0x1000", "present", 0) + rss(4) +
        "$ app: load 8 bytes at buf+0x2000\n7ffff7ff1000: 00 00 00 00 00 00 00 00\n" +
        pm("buf+0x2000", "present", 1) + pm("buf+0x2000", "exclusive", 0) + rss(4) +
        "$ app: store 8 bytes of 0xaa at buf+0x2000\n" +
        pm("buf+0x2000", "exclusive", 1) + rss(8) +
        "$ app: memset(buf+0x4000, 90, 16384)\n" +
        faults(7) + pm("buf+0x7000", "present", 1) + pm("buf+0x8000", "present", 0) + rss(24) + ok("/proc/app/status RssAnon = 24 kB") +
        "$ app: madvise(buf, 65536, MADV_DONTNEED)\n= 0\n" +
        pm("buf+0x4000", "present", 0) + rss(0) +
        "$ app: load 8 bytes at buf+0x4000\n7ffff7ff3000: 00 00 00 00 00 00 00 00\n" +
        faults(8),
    );
  });
});
