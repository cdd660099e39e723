// The live read/write vs mmap vs sendfile page: seed 001's comparison run in the browser kernel,
// the counters of each method exact for 64 KiB in 4 KiB chunks (cold and warm), the seed's six
// steps with who does each, both locales, and Node = browser for another size and chunk.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function ready(page) {
  await page.locator("#rwm-table tbody tr").first().waitFor();
}

/** The counters table as rows of cell texts. */
async function table(page) {
  return page.$$eval("#rwm-table tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent.trim())));
}

/** The six steps as rows of "who" per method. */
async function who(page) {
  return page.$$eval("#rwm-steps tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td[data-who]")].map((td) => td.dataset.who)));
}

/** Chooses the options and runs; waits for the options line to say so. */
async function runWith(page, { size, chunk, warm }, line) {
  await page.selectOption("#rwm-size", String(size));
  await page.selectOption("#rwm-chunk", String(chunk));
  if ((await page.locator("#rwm-warm").isChecked()) !== warm) await page.click("#rwm-warm");
  await page.click("#rwm-run");
  await page.waitForFunction((want) => document.querySelector("#rwm-options")?.textContent === want, line);
}

const counts = (rows) => rows.map((r) => r.slice(0, 8));

test("read/write vs mmap: 64 KiB in 4 KiB chunks from a cold cache, counted as seed 001's arithmetic says", async ({ page, goto, screenshot }) => {
  await goto("/read-write-mmap.html");
  await ready(page);
  assert.equal(await page.locator("#rwm-options").textContent(), "64 KiB file, 4 KiB chunks, page cache cold");
  // read()+write(): open, 16 reads, 16 writes, close; 2 CPU copies a chunk; 3 read-ahead
  // requests; one skb a write; the buffer's first touch faults
  // mmap()+write(): open, mmap, 16 writes, munmap, close; each page faults while the SSD reads it
  // sendfile(): open, 16 sendfiles, close; no CPU copy, no fault
  assert.deepEqual(counts(await table(page)), [
    ["read()+write()", "34", "68", "32", "131072", "3", "16", "1"],
    ["mmap()+write()", "20", "40", "16", "65536", "1", "16", "16"],
    ["sendfile()", "18", "36", "0", "0", "3", "16", "0"],
  ]);
  assert.deepEqual((await table(page)).map((r) => r[10]), ["yes", "yes", "yes"]);
  // the seed's six steps, rows; columns read()+write(), mmap()+write(), sendfile()
  assert.deepEqual(await who(page), [
    ["-", "-", "-"],
    ["DMA", "DMA", "DMA"],
    ["CPU", "-", "-"],
    ["-", "-", "-"],
    ["CPU", "CPU", "-"],
    ["DMA", "DMA", "DMA"],
  ]);
  assert.equal(await page.locator('#rwm-steps tr[data-step="3"] td[data-method="read-write"]').textContent(), "CPU page cache → buf ×16 (64 KiB)");
  assert.equal(await page.locator('#rwm-steps tr[data-step="5"] td[data-method="sendfile"]').textContent(), "none: the skb takes the pages (MSG_SPLICE_PAGES)");
  await screenshot("read-write-mmap-en");
});

test("read/write vs mmap: a warm cache needs no disk DMA; mmap faults once; sendfile's program is 1.5 µs", async ({ page, goto }) => {
  await goto("/read-write-mmap.html");
  await ready(page);
  await runWith(page, { size: 65536, chunk: 4096, warm: true }, "64 KiB file, 4 KiB chunks, page cache warm");
  const rows = await table(page);
  assert.deepEqual(counts(rows), [
    ["read()+write()", "34", "68", "32", "131072", "0", "16", "1"],
    ["mmap()+write()", "20", "40", "16", "65536", "0", "16", "1"],
    ["sendfile()", "18", "36", "0", "0", "0", "16", "0"],
  ]);
  // 18 system calls of 250 cycles at 3 GHz
  assert.equal(rows[2][8], "1.500 µs");
});

test("read/write vs mmap (zh): the Chinese page runs the same kernel with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/read-write-mmap.html");
  await ready(page);
  assert.equal(await page.locator("#rwm-options").textContent(), "文件 64 KiB，每次 4 KiB，页缓存为空");
  assert.equal(await page.locator("#rwm-run").textContent(), "运行三种方式");
  assert.equal(await page.locator('#rwm-steps tr[data-step="2"] td[data-method="mmap-write"]').textContent(), "DMA 磁盘 → 页缓存 ×1");
  await screenshot("read-write-mmap-zh");
});

test("read/write vs mmap: the browser renders exactly the view the model computes in Node", async ({ page, goto }) => {
  const o = { size: 262144, chunk: 16384, warm: false };
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-read-write-mmap.ts", JSON.stringify(o)], { cwd: DOCS, encoding: "utf8" });
  assert.equal(node.status, 0, `node-read-write-mmap.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/read-write-mmap.html");
  await ready(page);
  await runWith(page, o, "256 KiB file, 16 KiB chunks, page cache cold");
  assert.deepEqual(await table(page), want.rows.map((r) => [
    r.title, String(r.syscalls), String(r.modeSwitches), String(r.cpuCopies), String(r.cpuCopyBytes), String(r.diskDma), String(r.nicDma), String(r.pageFaults),
    r.program, r.lastByte, r.wire ? "yes" : "NO",
  ]));
  assert.deepEqual(await who(page), want.steps.map((row) => row.map((c) => c.who)));
});
