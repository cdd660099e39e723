// The CLI's edges with its host: exit statuses, closed pipes (EPIPE), files the program writes
// through CliIo (replay's --plot and --convert; csim's are in csim.test.ts), stderr's isTTY,
// and loading only the command a command line names (program.ts).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mmsimInProcess } from "./in-process";
import { CLI, mmsim } from "./run-cli";

const tmp = mkdtempSync(join(tmpdir(), "mmsim-host-"));
const trace = join(tmp, "t.txt");
writeFileSync(trace, "1\n2\n3\n1\n2\n4\n1\n");
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const HOOKS = fileURLToPath(new URL("./load-hooks.mjs", import.meta.url));

/** Runs the bin with its stdout (or stderr) pipe closed by the reader before mmsim writes. */
function closedPipe(args: string[], which: "stdout" | "stderr"): Promise<{ status: number | null; other: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    c[which].destroy();
    let other = "";
    c[which === "stdout" ? "stderr" : "stdout"].on("data", (d: Buffer) => (other += d.toString()));
    c.on("close", (status) => resolve({ status, other }));
  });
}

describe("a closed pipe (mmsim boot --dmesg | head -1)", () => {
  it("ends mmsim quietly with status 0 when stdout's reader went away", async () => {
    expect(await closedPipe(["boot", "--ram", "64M", "--dmesg"], "stdout")).toEqual({ status: 0, other: "" });
    expect(await closedPipe(["ostep", "relocation", "-s", "1", "-n", "2000", "-c"], "stdout")).toEqual({ status: 0, other: "" });
  });

  it("only silences stderr when its reader went away: the exit status stays", async () => {
    expect(await closedPipe(["bot"], "stderr")).toEqual({ status: 2, other: "" });
    expect(await closedPipe(["ostep", "relocation", "-p", "1"], "stderr")).toMatchObject({ status: 1 });
  });
});

describe("exit statuses", () => {
  it("keeps 2 for usage errors and commander's own errors", async () => {
    expect(await mmsimInProcess(["boot", "--frob"])).toEqual({ status: 2, stdout: "", stderr: "mmsim: unknown option '--frob'\n" });
    expect((await mmsimInProcess(["walk"])).status).toBe(2);
    expect((await mmsimInProcess([])).status).toBe(2);
  });
  it("keeps 0 for help and version", async () => {
    expect((await mmsimInProcess(["--help"])).status).toBe(0);
    expect((await mmsimInProcess(["help", "csim"])).status).toBe(0);
    expect((await mmsimInProcess(["-V"])).status).toBe(0);
  });
});

describe("files the program writes go through CliIo", () => {
  it("replay --plot writes the SVG through io.writeFile", async () => {
    const files: Record<string, string> = {};
    const r = await mmsimInProcess(["replay", trace, "-p", "lru,fifo", "-f", "1,2,3", "--plot", "curves.svg"], files);
    expect(r.status).toBe(0);
    expect(Object.keys(files)).toEqual(["curves.svg"]);
    expect(files["curves.svg"]).toMatch(/^<svg [^]*<\/svg>\n?$/);
    expect(files["curves.svg"]).toContain(`miss ratio: ${trace}`);
  });

  it("replay --convert text writes the page numbers through io.createFile", async () => {
    const files: Record<string, string> = {};
    const r = await mmsimInProcess(["replay", trace, "--convert", "text", "-o", "out.txt"], files);
    expect(r).toEqual({ status: 0, stdout: "", stderr: "mmsim: wrote 7 requests (4 distinct pages) to out.txt (text)\n" });
    expect(files).toEqual({ "out.txt": "1\n2\n3\n1\n2\n4\n1\n" });
  });

  it("a file that cannot be written is an input error naming it (exit 2), not an internal error", async () => {
    expect(await mmsimInProcess(["replay", trace, "-f", "2", "--plot", "dir/"])).toMatchObject({ status: 2, stderr: "mmsim: cannot write --plot file dir/: is a directory\n" });
    expect(await mmsimInProcess(["replay", trace, "--convert", "mmsim", "-o", "dir/"])).toEqual({ status: 2, stdout: "", stderr: "mmsim: cannot write --output file dir/: is a directory\n" });
    const r = mmsim(["replay", trace, "--convert", "text", "-o", join(tmp, "no", "such", "dir", "t")]);
    expect([r.status, r.stderr]).toEqual([2, `mmsim: cannot write --output file ${join(tmp, "no", "such", "dir", "t")}: no such file or directory\n`]);
  });
});

describe("stderr's isTTY comes from CliIo", () => {
  it("replay draws its progress bar on a terminal and not otherwise", async () => {
    const tty = await mmsimInProcess(["replay", trace, "-f", "2"], {}, {}, true);
    expect(tty.stderr).toMatch(/^\rreplay \[#*\.*\] +\d+%/);
    expect(tty.stderr.endsWith(`\r${" ".repeat(48)}\r`)).toBe(true);
    const pipe = await mmsimInProcess(["replay", trace, "-f", "2"], {}, {}, false);
    expect(pipe.stderr).toBe("");
    expect(pipe.stdout).toBe(tty.stdout);
  });
});

describe("each command's layers load only when the command line names it", () => {
  /** The dist/ chunk that defines a class or function, found by its text. */
  const chunkWith = (pattern: RegExp) => {
    const hits = readdirSync(DIST).filter((f) => f.endsWith(".js") && pattern.test(readFileSync(join(DIST, f), "utf8")));
    expect(hits).toHaveLength(1);
    return hits[0]!;
  };
  const loaded = (args: string[]) => {
    const r = spawnSync(process.execPath, ["--import", HOOKS, CLI, ...args], { encoding: "utf8" });
    return new Set([...r.stderr.matchAll(/^LOAD .*\/dist\/(.+)$/gm)].map((m) => m[1]!));
  };

  it("mmsim csim loads the textbook chunk but not the kernel's, mmsim boot the kernel's", () => {
    const kernel = chunkWith(/\bvar Kernel = class\b/);
    const textbook = chunkWith(/\bfunction runCsim\(/);
    const csim = loaded(["csim", "-h"]);
    expect(csim.has("cli.js")).toBe(true);
    expect(csim.has(textbook)).toBe(true);
    expect(csim.has(kernel)).toBe(false);
    const boot = loaded(["boot", "--ram", "64M"]);
    expect(boot.has(kernel)).toBe(true);
    expect(boot.has(textbook)).toBe(false);
  });

  it("mmsim -V loads no command at all, mmsim --help every one", () => {
    const commandChunks = readdirSync(DIST).filter((f) => /^(boot|run|walk|buddy|slab|ostep|csim|replay|demo|io)-\w+\.js$/.test(f));
    expect(commandChunks).toHaveLength(10);
    const version = loaded(["-V"]);
    expect(commandChunks.filter((f) => version.has(f))).toEqual([]);
    const help = loaded(["--help"]);
    expect(commandChunks.filter((f) => help.has(f))).toEqual(commandChunks);
  });

  it("mmsim --help still lists every command with its arguments", () => {
    const r = mmsim(["--help"]);
    const section = r.stdout.slice(r.stdout.indexOf("\nCommands:\n")).split("\n\n")[0]!;
    const commands = [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(["boot", "run", "walk", "fault", "io", "buddy", "slab", "ostep", "csim", "replay", "demo", "help"]);
    for (const term of ["  run [options] <scenario>  ", "  ostep <script> [args...]  ", "  csim [args...]  ", "  replay [options] <trace>  "]) expect(r.stdout).toContain(term);
  });

  it("a misspelt command still gets commander's suggestion from the full list", async () => {
    expect(await mmsimInProcess(["csin"])).toEqual({ status: 2, stdout: "", stderr: "mmsim: unknown command 'csin'; did you mean csim?\n" });
  });
});

describe("the limits the CLI enforces are the kernel's exported constants", () => {
  it("MIN_RAM, MIN_SWAP and the YAML limits have the documented values, and the CLI's file limit is the YAML one", async () => {
    const k = await import("@mmsim/kernel");
    const { MAX_INPUT_FILE_BYTES } = await import("../src/io");
    expect([k.MIN_RAM, k.MIN_SWAP, k.MAX_YAML_BYTES, k.MAX_YAML_LIST_ITEMS, k.MAX_YAML_EXPANDED_NODES]).toEqual([64 * 1024 * 1024, 10 * 4096, 1024 * 1024, 100_000, 1_000_000]);
    // the CLI keeps its own copy (io.ts loads before any layer): it must not drift
    expect(MAX_INPUT_FILE_BYTES).toBe(k.MAX_YAML_BYTES);
    expect((await mmsimInProcess(["boot", "--ram", String(k.MIN_RAM - 4096)])).stderr).toBe(`mmsim: --ram: expected a RAM size from 64MiB to 256GiB, got ${k.MIN_RAM - 4096} bytes\n`);
    expect((await mmsimInProcess(["boot", "--ram", String(k.MIN_RAM), "--swap", String(k.MIN_SWAP)])).status).toBe(0);
    expect((await mmsimInProcess(["boot", "--ram", String(k.MIN_RAM), "--swap", String(k.MIN_SWAP - 4096)])).status).toBe(2);
  });
});

describe("turbo's cache keys (turbo.json)", () => {
  // tsup-package.ts builds every package and tsconfig.base.json sets how tsc emits each .d.ts:
  // a change to either must miss the cache of every task (it once served stale .d.ts files)
  it("hash tsconfig.base.json and scripts/tsup-package.ts into every task", () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const r = spawnSync("pnpm", ["exec", "turbo", "run", "build", "--filter=@mmsim/base", "--dry=json"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(0);
    const dry = JSON.parse(r.stdout) as { globalCacheInputs: { files: Record<string, string> } };
    expect(Object.keys(dry.globalCacheInputs.files).sort()).toEqual(["scripts/tsup-package.ts", "tsconfig.base.json"]);
  }, 60_000);
});
