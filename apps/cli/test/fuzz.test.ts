// Fuzz test of the whole CLI (issue 15 §3): random command lines (commands, flags and values:
// sizes, GFP masks, ops strings, addresses, fault accesses, sysctls, cache names) and random mutations of the
// example scenarios (byte flips, deleted and duplicated lines, swapped values, huge numbers,
// aliases). Every case must exit 0 or 2 — never 70 (an internal error), never a stack trace —
// and a failing case says what was wrong on stderr. Runs in-process (runCli) so that thousands
// of cases fit in CI: MMSIM_FUZZ_CASES (default 2000) sets the count, MMSIM_FUZZ_SEED the seed.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FAULT_DEMO_LAYOUT, FAULT_DEMO_LAYOUT_I386 } from "@mmsim/kernel";
import { mmsimInProcess, type InProcessResult } from "./in-process";

const CASES = Number(process.env.MMSIM_FUZZ_CASES ?? 2000);
/** A new seed each run finds new cases; a failure prints it, and MMSIM_FUZZ_SEED replays it. */
const SEED = process.env.MMSIM_FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.MMSIM_FUZZ_SEED);
/** Share of the cases spent on scenario files (the rest are command lines). */
const SCENARIO_SHARE = 0.4;

const EXAMPLES = join(import.meta.dirname, "../../../examples/scenarios");

// ---- values ----------------------------------------------------------------------------

/** RAM sizes: mostly small valid machines (fast to boot), some invalid or odd spellings. */
const smallRam = fc.constantFrom("64M", "64M", "64MiB", "0x4000000", "128M", "256M", "96M", "1G");
const sizeJunk = fc.constantFrom("", "0", "-1", "16M", "32M", "60M", "8XB", "1.5G", "1e9", "0x", "999999999999999999999G", "9007199254740993", "257G", "4G ", " 64M", "64m", "64 M", "NaN", "Infinity", "0x1p30", "1T", "64MiBB");
const size = fc.oneof({ weight: 6, arbitrary: smallRam }, { weight: 3, arbitrary: sizeJunk }, { weight: 1, arbitrary: fc.nat({ max: 2 ** 31 }).map(String) });
const intJunk = fc.constantFrom("", "-1", "0", "1", "2", "3", "4", "5", "8", "9", "64", "65", "1e3", "abc", "4294967295", "4294967296", "9007199254740993", "0x10", " 2", "2.5");
const int = fc.oneof(intJunk, fc.integer({ min: -5, max: 100 }).map(String));

const GFP_NAMES = ["GFP_KERNEL", "GFP_ATOMIC", "GFP_NOWAIT", "GFP_NOIO", "GFP_NOFS", "GFP_USER", "GFP_DMA", "GFP_DMA32", "GFP_HIGHUSER", "GFP_HIGHUSER_MOVABLE", "GFP_TRANSHUGE",
  "__GFP_DMA", "__GFP_HIGHMEM", "__GFP_DMA32", "__GFP_MOVABLE", "__GFP_RECLAIMABLE", "__GFP_HIGH", "__GFP_IO", "__GFP_FS", "__GFP_ZERO", "__GFP_DIRECT_RECLAIM",
  "__GFP_KSWAPD_RECLAIM", "__GFP_NOWARN", "__GFP_RETRY_MAYFAIL", "__GFP_NOFAIL", "__GFP_NORETRY", "__GFP_MEMALLOC", "__GFP_COMP", "__GFP_NOMEMALLOC", "__GFP_THISNODE", "__GFP_ACCOUNT"];
const gfpPart = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...GFP_NAMES) }, { weight: 1, arbitrary: fc.constantFrom("0x6", "0xffffffff", "0x100000000", "7", "GFP_BOGUS", "", "gfp_kernel", "0x") });
const gfp = fc.array(gfpPart, { minLength: 1, maxLength: 4 }).map((p) => p.join("|"));

const buddyOp = fc.oneof(
  fc.tuple(fc.integer({ min: -1, max: 12 }), fc.option(gfp, { nil: undefined }), fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined })).map(([o, g, n]) => `alloc ${o}${g ? " " + g : ""}${n !== undefined ? ` x${n}` : ""}`),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }), fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined })).map(([a, b, s]) => `free ${a}${b !== undefined ? `-${b}${s !== undefined ? `/${s}` : ""}` : ""}`),
  fc.constantFrom("drain", "drain 1", "alloc", "free", "free #1", "", "alloc x", "frob 3", "alloc 0 x0", "free 1-", "alloc 99999999999999999999"),
);
const ops = fc.array(buddyOp, { minLength: 0, maxLength: 8 }).map((o) => o.join(", "));

const addr = fc.oneof(
  fc.constantFrom("0x7f1234567abc", "ffff888000001000", "0x0", "0", "0x1000", "0x800000000000", "0xffffffffffffffff", "0xff00000000000000", "0x00ff000000000000", "-1", "", "xyz", "0x", "0x7fffffffffff", "0xffff800000000000", "123456789012345678901234567890"),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => "0x" + v.toString(16)),
);
/** mmsim fault's addresses: at and around the built-in process's regions (each edge ±3 pages; both layouts), odd spellings, anywhere. */
const faultAddr = fc.oneof(
  fc.tuple(fc.constantFrom(...FAULT_DEMO_LAYOUT, ...FAULT_DEMO_LAYOUT_I386), fc.integer({ min: -0x3000, max: 0x3000 }), fc.boolean())
    .map(([r, d, end]) => "0x" + Math.max(0, (end ? r.end : r.start) + d).toString(16)),
  fc.constantFrom("555555559000", "0X7F1234560000", "0x7f1234560000 ", "7f12_3456_0000", "0x7ffffffdd000", "0xffff888000000000"),
  addr,
);
const SYSCTL_KEYS = ["vm.min_free_kbytes", "vm.watermark_scale_factor", "vm.watermark_boost_factor", "vm.lowmem_reserve_ratio", "vm.percpu_pagelist_high_fraction", "vm.swappiness", "vm.overcommit_memory", "vm.frob", "kernel.x", "", "vm.", "/proc/sys/vm/min_free_kbytes", "vm/min_free_kbytes", "min_free_kbytes"];
const sysctlValue = fc.oneof(int, fc.constantFrom("256 256 32 0 0", "256\t32", "-1", "1e99", "x", ""));
const sysctl = fc.oneof({ weight: 5, arbitrary: fc.tuple(fc.constantFrom(...SYSCTL_KEYS), sysctlValue).map(([k, v]) => `${k}=${v}`) }, { weight: 1, arbitrary: fc.constantFrom("nonsense", "=1", "vm.min_free_kbytes") });
const cache = fc.constantFrom("kmalloc-64", "kmalloc-8", "kmalloc-8k", "kmalloc-192", "dentry", "task_struct", "vm_area_struct", "kmalloc-63", "", "KMALLOC-64", "kmem_cache");
const freeList = fc.oneof(fc.array(fc.integer({ min: -1, max: 12 }), { minLength: 0, maxLength: 5 }).map((a) => a.join(",")), fc.constantFrom("1,1", "2,2", "1,2,1", "x", ",", "1,,2", " 1"));
const slubDebug = fc.constantFrom("F", "Z", "P", "U", "FZP", "FZPU", "-", "O", "ZP,kmalloc-64", "F,kmalloc-64;Z,dentry", "X", "FZPUT", ",", "");
const catPath = fc.constantFrom("/proc/buddyinfo", "/proc/meminfo", "/proc/zoneinfo", "/proc/vmstat", "/proc/slabinfo", "/proc/pagetypeinfo", "/proc/sys/vm/min_free_kbytes", "/proc/nope", "../etc/passwd", "/etc/passwd", "", "/proc/sys/vm", "/proc");
const seed = fc.oneof(int, fc.constantFrom("1", "42"));
/** mmsim io's --size and --chunk: small valid sizes and hostile ones (never a long run). */
const ioSize = fc.constantFrom("1", "4096", "4k", "8KiB", "0", "-1", "300M", "128MiB", "1e99", "x", "", "0x1000");

// ---- command lines ---------------------------------------------------------------------

type Flag = [string, fc.Arbitrary<string> | null];
const MACHINE_FLAGS: Flag[] = [["--cpus", int], ["--nodes", int], ["--swap", size], ["--paging", int], ["--arch", fc.constantFrom("x86_64", "i386", "arm64", "")], ["--sysctl", sysctl], ["--config", fc.constantFrom("machine.yaml", "bad-machine.yaml", "/nonexistent.yaml", "scenario.yaml")], ["--seed", seed]];
const COMMANDS: Record<string, { args: fc.Arbitrary<string[]>; flags: Flag[]; boots: boolean }> = {
  boot: { args: fc.constant([]), flags: [...MACHINE_FLAGS, ["--cat", catPath], ["--dmesg", null]], boots: true },
  buddy: { args: fc.constant([]), flags: [...MACHINE_FLAGS, ["--ops", ops], ["--ops", ops], ["--zone", fc.constantFrom("DMA", "DMA32", "Normal", "Movable", "HighMem", "dma32", "x")], ["--migratetype", null], ["--json", null]], boots: true },
  slab: { args: cache.map((c) => [c]), flags: [...MACHINE_FLAGS, ["--alloc", int], ["--free", freeList], ["--free", freeList], ["--dump", int], ["--slub-debug", slubDebug], ["--slub-debug", null]], boots: true },
  walk: { args: addr.map((a) => [a]), flags: [["--levels", int], ["--json", null]], boots: false },
  // (boots its own 1 GiB machine: no machine flags)
  fault: { args: faultAddr.map((a) => [a]), flags: [["--write", null], ["--exec", null], ["--after-fork", null], ["--levels", int], ["--arch", fc.constantFrom("x86_64", "i386", "arm64", "")], ["--pae", null], ["--json", null]], boots: false },
  // (three machines a run: a small RAM and file come first; the flags after them may override them with hostile sizes)
  io: { args: fc.constant(["--ram", "128M", "--size", "16KiB"]), flags: [["--size", ioSize], ["--chunk", ioSize], ["--warm", null], ["--json", null], ["--seed", seed]], boots: true },
  run: { args: fc.constantFrom(["scenario.yaml"], ["machine.yaml"], ["bad-machine.yaml"], ["/nonexistent.yaml"], []), flags: [["--seed", seed], ["--cat", catPath], ["--json", null]], boots: false },
  // (the whole tour takes seconds: only --list and acts that do not exist)
  demo: { args: fc.constantFrom(["--list"], ["--act", "0"], ["--act", "99"], ["--act", "x"], ["--act", "-1"], ["--act"]), flags: [], boots: false },
  help: { args: fc.constantFrom([], ["boot"], ["run"], ["fault"], ["nope"]), flags: [], boots: false },
};

const flagArb = (flags: Flag[]): fc.Arbitrary<string[]> =>
  flags.length === 0 ? fc.constant([]) : fc.array(fc.constantFrom(...flags), { minLength: 0, maxLength: 5 }).chain((chosen) =>
    chosen.length === 0 ? fc.constant([] as string[]) : fc.tuple(...chosen.map(([name, value]) => (value ? value.map((v) => [name, v]) : fc.constant([name])))).map((pairs) => pairs.flat()),
  );

/** The textbook and replay front ends: scripts, flags and values, valid and not. */
const frontEnds: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(
    fc.constantFrom("relocation", "segmentation.py", "malloc", "paging-linear-translate", "paging-multilevel-translate.py", "paging-policy", "nope", ""),
    fc.array(fc.tuple(fc.constantFrom("-s", "-n", "-a", "-b", "-l", "-p", "-c", "-A", "-S", "-H", "-P", "-x", "--zz", "-h"), fc.oneof(int, fc.constantFrom("FIFO", "LRU", "OPT", "CLOCK", "RAND", "UNOPT", "BOGUS", "1,2,3", "1k", "32m", "-1", "0x10", ""))), { maxLength: 4 }),
  ).map(([script, flags]) => ["ostep", script, ...flags.flat()]),
  fc.array(fc.tuple(fc.constantFrom("-s", "-E", "-b", "-t", "-v", "-h", "-x"), fc.oneof(int, fc.constantFrom("csim.trace", "/nonexistent", "scenario.yaml", ""))), { maxLength: 5 }).map((flags) => ["csim", ...flags.flat()]),
  fc.tuple(
    fc.constantFrom("trace.txt", "/nonexistent", "scenario.yaml", ""),
    fc.array(fc.tuple(fc.constantFrom("--policy", "--frames", "--format", "--page-size", "--json", "--bogus"), fc.oneof(int, fc.constantFrom("lru", "fifo", "clock", "opt", "arc", "2q", "sieve", "s3fifo", "lru-linux", "zz", "all", "1,2,3", "text", "lackey", "oracle", "mmsim", "4096", "1e99"))), { maxLength: 4 }),
  ).map(([trace, flags]) => ["replay", trace, ...flags.flat()]),
);

const commandLine: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: frontEnds },
  { weight: 30, arbitrary: fc.constantFrom(...Object.keys(COMMANDS)).chain((name) => {
    const c = COMMANDS[name]!;
    // a command that boots without --ram boots 8 GiB (slow): give most of them a small --ram
    const ram = c.boots ? fc.oneof({ weight: 30, arbitrary: smallRam.map((r) => ["--ram", r]) }, { weight: 5, arbitrary: sizeJunk.map((r) => ["--ram", r]) }, { weight: 1, arbitrary: fc.constant([] as string[]) }) : fc.constant([] as string[]);
    return fc.tuple(c.args, ram, flagArb(c.flags)).map(([args, r, flags]) => [name, ...args, ...r, ...flags]);
  }) },
  // junk: unknown commands and flags, bare words, options without values
  { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom("boot", "--ram", "--help", "-h", "--version", "-V", "--", "-", "--cat", "bot", "--frob", "help"), fc.string({ maxLength: 8 })), { minLength: 0, maxLength: 5 }) },
);

// ---- scenario mutations ----------------------------------------------------------------

const MACHINE_YAML = "ram: 64MiB\ncpus: 2\nsysctl: { vm.min_free_kbytes: 2048 }\n";

/** The example scenarios, and one built from every step's own help example. */
function corpus(stepExamples: string[]): string[] {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml")).map((f) => readFileSync(join(EXAMPLES, f), "utf8"));
  files.push("machine: { ram: 64MiB }\nseed: 3\nsteps:\n" + stepExamples.map((e) => `  ${e}\n`).join(""));
  return files;
}

type Mutation = (lines: string[]) => string[];
const pick = (n: number) => fc.nat({ max: 1_000_000 }).map((i) => (n === 0 ? 0 : i % n));
const HUGE = ["99999999999999999999", "1e308", "-1", "9007199254740993", "0x7fffffffffffffff", "4294967296", "-0", ".inf", "NaN", "1024GiB"];

function mutation(lineCount: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    // flip one byte of a line to a random one
    fc.tuple(pick(lineCount), fc.nat({ max: 200 }), fc.integer({ min: 0, max: 255 })).map(([l, c, b]): Mutation => (ls) => ls.map((s, i) => (i === l && s.length ? s.slice(0, c % s.length) + String.fromCharCode(b) + s.slice((c % s.length) + 1) : s))),
    // delete or duplicate a line
    pick(lineCount).map((l): Mutation => (ls) => ls.filter((_, i) => i !== l)),
    pick(lineCount).map((l): Mutation => (ls) => ls.flatMap((s, i) => (i === l ? [s, s] : [s]))),
    // swap two lines' values (the text after the first ": ")
    fc.tuple(pick(lineCount), pick(lineCount)).map(([a, b]): Mutation => (ls) => {
      const val = (s: string) => (s.includes(": ") ? s.slice(s.indexOf(": ") + 2) : s);
      const key = (s: string) => (s.includes(": ") ? s.slice(0, s.indexOf(": ") + 2) : "");
      const out = [...ls];
      if (a < ls.length && b < ls.length) [out[a], out[b]] = [key(ls[a]!) + val(ls[b]!), key(ls[b]!) + val(ls[a]!)];
      return out;
    }),
    // replace a number with a huge or odd one
    fc.tuple(pick(lineCount), fc.constantFrom(...HUGE)).map(([l, h]): Mutation => (ls) => ls.map((s, i) => (i === l ? s.replace(/\b\d+\b/, h) : s))),
    // anchor a step and alias it many times (Linux-sized and bomb-sized)
    fc.tuple(pick(lineCount), fc.constantFrom(2, 150, 1500)).map(([l, n]): Mutation => (ls) => {
      const steps = ls.map((s, i) => [s, i] as const).filter(([s]) => /^ {2}- /.test(s));
      if (!steps.length) return ls;
      const [s, i] = steps[l % steps.length]!;
      const anchored = s.replace(/^ {2}- (.*)$/, "  - &st { $1 }");
      return [...ls.slice(0, i), anchored, ...Array(n).fill("  - *st"), ...ls.slice(i + 1)];
    }),
    // deep nesting, an unknown alias, a tab, a duplicate key
    fc.constantFrom<Mutation>(
      (ls) => [...ls, "  - cat: " + "[".repeat(3000) + "]".repeat(3000)],
      (ls) => [...ls, "  - *nowhere"],
      (ls) => ls.map((s) => s.replace(/^ {2}/, "\t")),
      (ls) => [...ls, "seed: 2"],
      (ls) => ["%YAML 1.2", "---", ...ls, "---", "x: 1"],
    ),
  );
}

function scenarioCase(texts: string[]): fc.Arbitrary<string> {
  return pick(texts.length).chain((k) => {
    const lines = texts[k]!.split("\n");
    return fc.array(mutation(lines.length), { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce((ls, m) => m(ls), lines).join("\n"));
  });
}

/** A scenario for a failure report: runs of one repeated line folded, at most 40 lines. */
function squeeze(text: string): string {
  const out: string[] = [];
  let prev = "";
  let n = 0;
  for (const line of [...text.split("\n"), "\0"]) {
    if (line === prev) {
      n++;
      continue;
    }
    if (n > 1) out.push(`${prev.slice(0, 200)}   (x${n})`);
    else if (n === 1) out.push(prev.slice(0, 200));
    prev = line;
    n = 1;
  }
  return out.slice(0, 40).join("\n");
}

// ---- the property ----------------------------------------------------------------------

/**
 * What is wrong with an outcome, or null: it must exit 0 or 2, print no internal error and no
 * JavaScript stack trace, and an exit 2 must say why in a last line starting "mmsim: ". The
 * front ends that reproduce another program byte for byte (`ostep`: OSTEP's Python scripts,
 * with optparse's usage errors and Python's own error text; `csim`: csim-ref) speak as that
 * program does, so for them only the exit code and the absence of mmsim errors are checked.
 */
function problem(r: InProcessResult, emulated: boolean): string | null {
  if (r.status !== 0 && r.status !== 2 && !(emulated && r.status === 1)) return `exit ${r.status}`;
  if (/internal error/.test(r.stderr)) return "internal error";
  if (/^\s+at .*:\d+:\d+\)?$/m.test(r.stderr)) return "stack trace";
  // exit 2 says why; with no command at all, commander prints the usage on stderr instead
  // (a kernel report, such as slub_debug's for a double free, comes before that line)
  const last = r.stderr.trimEnd().split("\n").at(-1) ?? "";
  if (!emulated && r.status === 2 && !/^mmsim: \S/.test(last) && !r.stderr.startsWith("Usage: mmsim ")) return "exit 2 without a message";
  return null;
}

describe("fuzz: hostile input never reaches an internal error", () => {
  it(`${CASES} random command lines and scenario mutations exit 0 or 2, never 70, never with a stack trace`, async () => {
    const help = await mmsimInProcess(["run", "--help"]);
    const stepExamples = [...help.stdout.matchAll(/^ {6}(- \w+:.*)$/gm)].map((m) => m[1]!);
    expect(stepExamples.length).toBeGreaterThanOrEqual(10);
    const texts = corpus(stepExamples);
    const files = (scenario: string): Record<string, string> => ({
      "scenario.yaml": scenario, "machine.yaml": MACHINE_YAML, "bad-machine.yaml": "ram: [1, 2]\ncpus: {a: 1}\n",
      "trace.txt": "1\n2\n3\n1\n0x1000\n2\n", "csim.trace": " L 10,1\n M 20,1\nI 0400d7d4,8\n S 18,1\n L 110,1\n",
    });

    // every case runs (no shrinking): the report lists each distinct failure once, with an input
    const failures = new Map<string, string>();
    const check = (what: string, r: InProcessResult, emulated = false) => {
      const p = problem(r, emulated);
      if (!p) return;
      const key = `${p}: ${r.stderr.split("\n")[0]!.replace(/\d+/g, "N").slice(0, 160)}`;
      if (!failures.has(key)) failures.set(key, `${what}\n  exit ${r.status}, stderr: ${r.stderr.slice(0, 600)}`);
    };
    let ran = 0;
    const tally = { cli: 0, scenario: 0, exit0: 0, exit2: 0 };
    /** command lines per command: [run, exited 0] (fault, walk... each reached past its parser) */
    const perCommand: Record<string, [number, number]> = {};
    const scenarioRuns = Math.round(CASES * SCENARIO_SHARE);
    const slowest: [number, string][] = [];
    const record = (r: InProcessResult, kind: "cli" | "scenario", ms: number, what: () => string) => {
      ran++;
      if (slowest.length < 12 || ms > slowest[slowest.length - 1]![0]) {
        slowest.push([ms, what().slice(0, 300)]);
        slowest.sort((a, b) => b[0] - a[0]);
        slowest.length = Math.min(slowest.length, 12);
      }
      tally[kind]++;
      if (r.status === 0) tally.exit0++;
      else tally.exit2++;
    };

    await fc.assert(
      fc.asyncProperty(commandLine, async (argv) => {
        const t0 = performance.now();
        const r = await mmsimInProcess(argv, files(texts[0]!));
        record(r, "cli", performance.now() - t0, () => argv.join(" "));
        const byCmd = (perCommand[argv[0] ?? ""] ??= [0, 0]);
        byCmd[0]++;
        if (r.status === 0) byCmd[1]++;
        check(`mmsim ${argv.map((a) => JSON.stringify(a)).join(" ")}`, r, argv[0] === "ostep" || argv[0] === "csim");
      }),
      { numRuns: CASES - scenarioRuns, seed: SEED },
    );
    await fc.assert(
      fc.asyncProperty(scenarioCase(texts), fc.constantFrom([], ["--json"], ["--cat", "/proc/buddyinfo"]), async (text, extra) => {
        const t0 = performance.now();
        const r = await mmsimInProcess(["run", "scenario.yaml", ...extra], files(text));
        record(r, "scenario", performance.now() - t0, () => squeeze(text));
        check(`mmsim run scenario.yaml ${extra.join(" ")} with:\n${squeeze(text)}`, r);
      }),
      { numRuns: scenarioRuns, seed: SEED },
    );
    console.log(`fuzz (seed ${SEED}): ${ran} cases run (${tally.cli} command lines, ${tally.scenario} scenario mutations; ${tally.exit0} exited 0, ${tally.exit2} exited 2)`);
    console.log(`  per command (run/exited 0): ${Object.keys(COMMANDS).map((c) => `${c} ${perCommand[c]?.join("/") ?? "0/0"}`).join(", ")}`);
    if (process.env.MMSIM_FUZZ_SLOWEST) console.log(slowest.map(([ms, w]) => `${ms.toFixed(0)} ms: ${w}`).join("\n---\n"));
    expect([...failures].map(([k, v]) => `${k}\n  e.g. ${v}`).join("\n\n"), `replay with MMSIM_FUZZ_SEED=${SEED}`).toBe("");
    expect(ran).toBe(CASES);
  }, 600_000);
});
