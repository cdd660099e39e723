// The live part of "A process's layout": /usr/bin/app exec'd without ASLR has Linux's
// addresses (ELF_ET_DYN_BASE 0x555555554000, ld.so ending at mmap_base 0x7ffff7fff000, the stack
// under 0x7ffffffff000, [vsyscall] last), each line explained; the stack's top holds argc 2,
// argv, envp, the auxv and the strings; exec with ASLR moves every base and keeps the shape;
// zh; Node = browser.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function ready(page) {
  await page.locator("#pl-maps li.pl-line").first().waitFor();
}

/** The maps table as [line, Rss, kind]. */
async function lines(page) {
  return page.$$eval("#pl-maps li.pl-line", (lis) => lis.map((li) => [li.querySelector(".pl-text").textContent, li.querySelector(".pl-rss").textContent.trim(), li.dataset.kind]));
}

async function stack(page) {
  return page.$$eval("#pl-stack tr.pl-item", (trs) => trs.map((tr) => [tr.dataset.kind, tr.querySelector(".pl-range").textContent.trim(), tr.querySelector(".pl-value").textContent.trim()]));
}

async function click(page, sel) {
  const before = await page.locator("#pl-log").textContent();
  await page.click(sel);
  await page.waitForFunction((b) => document.querySelector("#pl-log")?.textContent !== b, before);
}

const pad = (s) => s.padEnd(73, " ");
const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const LD = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";

test("process layout: the program without ASLR, line by line, with Linux's addresses", async ({ page, goto, screenshot }) => {
  await goto("/process-layout.html");
  await ready(page);
  const l = await lines(page);
  assert.deepEqual(l.map((x) => x[2]), [
    "headers", "text", "rodata", "relro", "data", "heap", "tls", "headers", "text", "rodata", "relro", "data", "bss",
    "ldso-malloc", "vvar", "vvar_vclock", "vdso", "headers", "text", "rodata", "relro", "data", "stack", "vsyscall",
  ]);
  assert.deepEqual(l[0], [`${pad("555555554000-555555556000 r--p 00000000 fe:00 12")}/usr/bin/app`, "0 kB", "headers"]);
  // .data: padzero's write made it a private copy (4 kB); the heap malloc(100) wrote (4 kB)
  assert.deepEqual(l[4], [`${pad("55555555f000-555555560000 rw-p 0000a000 fe:00 12")}/usr/bin/app`, "4 kB", "data"]);
  assert.deepEqual(l[5], [`${pad("555555560000-555555581000 rw-p 00000000 00:00 0")}[heap]`, "4 kB", "heap"]);
  assert.deepEqual(l[7], [`${pad("7ffff7dd5000-7ffff7dfb000 r--p 00000000 fe:00 15")}${LIBC}`, "0 kB", "headers"]);
  assert.deepEqual(l[21], [`${pad("7ffff7ffd000-7ffff7fff000 rw-p 00033000 fe:00 13")}${LD}`, "4 kB", "data"]);
  assert.deepEqual(l[22], [`${pad("7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0")}[stack]`, "4 kB", "stack"]);
  assert.deepEqual(l[23], [`${pad("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0")}[vsyscall]`, "0 kB", "vsyscall"]);
  assert.match(await page.locator("#pl-maps li.pl-line").nth(1).locator(".pl-what").textContent(), /^app: \.text/);
  const s = await stack(page);
  assert.deepEqual(s.map((x) => x[0]), ["end", "execfn", "envstr", "argstr", "platform", "random", "auxv", "envp", "argv", "argc"]);
  assert.deepEqual(s[0], ["end", "7fffffffeff8-7ffffffff000", "0"]);
  assert.deepEqual(s[1], ["execfn", "7fffffffefeb-7fffffffeff8", '"/usr/bin/app"']);
  assert.deepEqual(s[3], ["argstr", "7fffffffefc9-7fffffffefd3", '"app" "hello"']);
  assert.deepEqual(s[9], ["argc", "7fffffffee00-7fffffffee08", "2"]);
  assert.match(s[6][2], /^AT_SYSINFO_EHDR=0x7ffff7fc8000 .* AT_ENTRY=0x555555556c80 .* AT_NULL=0$/);
  assert.equal(await page.locator("#pl-sp").textContent(), "stack pointer at entry (stat's startstack): 0x7fffffffee00");
  await screenshot("process-layout-en");
});

test("process layout: exec with ASLR moves every base, keeps the shape and the sizes", async ({ page, goto }) => {
  await goto("/process-layout.html");
  await ready(page);
  const before = await lines(page);
  await click(page, "#pl-aslr-on");
  assert.equal(await page.locator("#pl-va").textContent(), "kernel.randomize_va_space = 2 at exec 2");
  const after = await lines(page);
  assert.deepEqual(after.map((x) => x[2]), before.map((x) => x[2]));
  const range = (x) => x[0].split(" ")[0].split("-").map((h) => parseInt(h, 16));
  for (let i = 0; i < after.length - 1; i++) {
    const [a0, a1] = range(before[i]);
    const [b0, b1] = range(after[i]);
    assert.notEqual(b0, a0, `line ${i} moved`);
    assert.equal(b1 - b0, a1 - a0, `line ${i} kept its size`);
  }
  // [vsyscall] is at a fixed address
  assert.equal(after[after.length - 1][0], before[before.length - 1][0]);
  await click(page, "#pl-aslr-off");
  assert.deepEqual(await lines(page), before);
});

test("process layout (zh): the Chinese page runs the same program with Chinese explanations", async ({ page, goto, screenshot }) => {
  await goto("/zh/process-layout.html");
  await ready(page);
  assert.match(await page.locator("#pl-maps li.pl-line").nth(22).locator(".pl-what").textContent(), /^\[stack\]：参数页/);
  assert.match(await page.locator("#pl-sp").textContent(), /^程序入口处的栈指针/);
  await screenshot("process-layout-zh");
});

test("process layout: the browser renders exactly the view the model computes in Node", async ({ page, goto }) => {
  const aslrs = [true, true, false, true];
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-process-layout.ts", JSON.stringify(aslrs)], {
    cwd: DOCS, encoding: "utf8",
  });
  assert.equal(node.status, 0, `node-process-layout.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/process-layout.html");
  await ready(page);
  for (const a of aslrs) await click(page, a ? "#pl-aslr-on" : "#pl-aslr-off");
  assert.deepEqual(await lines(page), want.lines.map((l) => [l.text, `${l.rssKb} kB`, l.kind]));
  assert.deepEqual(await stack(page), want.stack.map((s) => [s.kind, `${s.start.toString(16)}-${s.end.toString(16)}`, s.value]));
  assert.equal(await page.locator("#pl-log").textContent(), want.log.map((l) => l.command + (l.output ? " " + l.output.trimEnd() : "")).join("\n"));
});
