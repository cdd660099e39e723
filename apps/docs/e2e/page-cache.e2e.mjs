// The live page-cache page: read-ahead windows of mm/readahead.c growing 8 → 16 → 32 pages,
// writes dirtying pages without disk I/O, the flusher writing them back only once
// dirty_expire_centisecs (30 s) have passed, fsync, drop_caches keeping locked pages,
// balance_dirty_pages throttling under vm.dirty_bytes, both locales, and Node = browser.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function ready(page) {
  await page.locator("#pc-pages").waitFor();
}

/** The page strip as one string, a page per character, "*" after a PG_readahead page. */
async function strip(page) {
  return page.$$eval("#pc-pages span.pc-page", (ss) => ss.map((s) => s.dataset.state + (s.dataset.mark === "1" ? "*" : "")).join(""));
}

async function click(page, sel) {
  const before = await page.locator("#pc-log").textContent();
  await page.click(sel);
  await page.waitForFunction((b) => document.querySelector("#pc-log")?.textContent !== b, before);
}

const text = (p, sel) => p.locator(sel).textContent();

test("page cache: sequential 16 KiB reads open an 8-page window, then 16 and 32 pages ahead", async ({ page, goto, screenshot }) => {
  await goto("/page-cache.html");
  await ready(page);
  // written, fsynced and dropped at start: nothing cached, nothing read yet
  assert.equal(await strip(page), "-".repeat(128));
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 0 kB · Dirty: 0 kB · Writeback: 0 kB");
  assert.equal(await text(page, "#pc-counters"), "pgpgin 0 · pgpgout 512 · nr_dirtied 128 · nr_written 128");
  await click(page, "#pc-read");
  // get_init_ra_size(4, 32) = 8 (x2 at most max/4); async_size 8 - 4 = 4, PG_readahead on page 4
  assert.equal(await text(page, "#pc-ra"), "reader f_pos 16384 · file_ra_state: start 0, size 8, async_size 4 (pages)");
  // one batch of 8 pages went to the disk; read() waited for its 4 pages only, the rest is in flight
  assert.equal(await strip(page), "uuuul*lll" + "-".repeat(120));
  await click(page, "#pc-read");
  // page_cache_async_ra at page 4: the next window starts at 8, get_next_ra_size(8, 32) = 16
  assert.equal(await text(page, "#pc-ra"), "reader f_pos 32768 · file_ra_state: start 8, size 16, async_size 16 (pages)");
  await click(page, "#pc-read");
  assert.equal(await text(page, "#pc-ra"), "reader f_pos 49152 · file_ra_state: start 24, size 32, async_size 32 (pages)");
  // 8 + 16 + 32 pages read from the disk; the last window's I/O is still in flight (locked)
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 224 kB · Dirty: 0 kB · Writeback: 0 kB");
  assert.match(await text(page, "#pc-counters"), /^pgpgin 224 · /);
  const s = await strip(page);
  assert.equal(s.slice(0, 12), "uuuuuuuuuuuu");
  assert.equal(s.slice(24, 26), "l*");
  assert.equal(s.slice(57), "-".repeat(128 - 56));
  await screenshot("page-cache-en");
});

test("page cache: a write dirties pages; the flusher writes them only after 30 s; fsync and drop_caches", async ({ page, goto }) => {
  await goto("/page-cache.html");
  await ready(page);
  await click(page, "#pc-write");
  assert.equal(await strip(page), "d".repeat(16) + "-".repeat(112));
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 64 kB · Dirty: 64 kB · Writeback: 0 kB");
  assert.equal(await text(page, "#pc-counters"), "pgpgin 0 · pgpgout 512 · nr_dirtied 144 · nr_written 128");
  // dirty_writeback_centisecs 500: wake-ups at 5, 10 ... 25 s find nothing older than 30 s
  for (let i = 0; i < 5; i++) await click(page, "#pc-sleep5");
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 64 kB · Dirty: 64 kB · Writeback: 0 kB");
  await click(page, "#pc-sleep5");
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 64 kB · Dirty: 0 kB · Writeback: 0 kB");
  assert.equal(await text(page, "#pc-counters"), "pgpgin 0 · pgpgout 576 · nr_dirtied 144 · nr_written 144");
  assert.equal(await strip(page), "u".repeat(16) + "-".repeat(112));
  // fsync writes at once
  await click(page, "#pc-write");
  await click(page, "#pc-fsync");
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 128 kB · Dirty: 0 kB · Writeback: 0 kB");
  assert.match(await text(page, "#pc-log"), /app: fsync\(w\) = 0$/);
  await click(page, "#pc-drop");
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 0 kB · Dirty: 0 kB · Writeback: 0 kB");
});

test("page cache: under vm.dirty_bytes = 256 KiB a 512 KiB write is throttled by balance_dirty_pages", async ({ page, goto }) => {
  await goto("/page-cache.html");
  await ready(page);
  assert.equal(await text(page, "#pc-limits"), "nr_dirty_threshold 10881 pages · nr_dirty_background_threshold 5434 pages · throttled pauses 0");
  await click(page, "#pc-limit");
  // dirty_bytes / 4096 and dirty_background_bytes / 4096 (domain_dirty_limits)
  assert.equal(await text(page, "#pc-limits"), "nr_dirty_threshold 64 pages · nr_dirty_background_threshold 32 pages · throttled pauses 0");
  assert.equal(await page.locator("#pc-limit").isDisabled(), true);
  await click(page, "#pc-write-heavy");
  // one max_pause sleep at the limit, then the writer runs at dirty_ratelimit x pos_ratio
  assert.equal(await text(page, "#pc-limits"), "nr_dirty_threshold 64 pages · nr_dirty_background_threshold 32 pages · throttled pauses 1");
  assert.equal(await text(page, "#pc-meminfo"), "Cached: 512 kB · Dirty: 60 kB · Writeback: 144 kB");
  // Dirty + Writeback stays under the limit: 204 kB of 256 kB
  const s = await strip(page);
  assert.equal(s.slice(0, 64), "u".repeat(64));
  assert.equal([...s].filter((c) => c === "d" || c === "w").length, 51);
});

test("page cache (zh): the Chinese page runs the same kernel with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/page-cache.html");
  await ready(page);
  await click(page, "#pc-read");
  assert.equal(await text(page, "#pc-ra"), "读者 f_pos 16384 · file_ra_state：start 0，size 8，async_size 4（页）");
  assert.equal(await text(page, "#pc-read"), "读 16 KiB");
  await screenshot("page-cache-zh");
});

test("page cache: the browser renders exactly the view the model computes in Node", async ({ page, goto }) => {
  const actions = [
    { op: "read" }, { op: "write", size: "small" }, { op: "read" }, { op: "sleep", seconds: 30 }, { op: "read" },
    { op: "limit" }, { op: "write", size: "heavy" }, { op: "drop" }, { op: "read" }, { op: "sleep", seconds: 5 }, { op: "fsync" },
  ];
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-page-cache.ts", JSON.stringify(actions)], {
    cwd: DOCS, encoding: "utf8",
  });
  assert.equal(node.status, 0, `node-page-cache.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/page-cache.html");
  await ready(page);
  const sel = {
    read: () => "#pc-read", write: (a) => (a.size === "small" ? "#pc-write" : "#pc-write-heavy"), sleep: (a) => `#pc-sleep${a.seconds}`,
    fsync: () => "#pc-fsync", drop: () => "#pc-drop", limit: () => "#pc-limit",
  };
  for (const a of actions) await click(page, sel[a.op](a));
  assert.equal(await strip(page), want.pages.map((p) => p.state + (p.mark ? "*" : "")).join(""));
  assert.equal(await text(page, "#pc-ra"), `reader f_pos ${want.ra.pos} · file_ra_state: start ${want.ra.start}, size ${want.ra.size}, async_size ${want.ra.asyncSize} (pages)`);
  assert.equal(await text(page, "#pc-meminfo"), `Cached: ${want.meminfo.cached} · Dirty: ${want.meminfo.dirty} · Writeback: ${want.meminfo.writeback}`);
  const v = want.vmstat;
  assert.equal(await text(page, "#pc-counters"), `pgpgin ${v.pgpgin} · pgpgout ${v.pgpgout} · nr_dirtied ${v.nrDirtied} · nr_written ${v.nrWritten}`);
  assert.equal(await text(page, "#pc-limits"), `nr_dirty_threshold ${v.dirtyThreshold} pages · nr_dirty_background_threshold ${v.backgroundThreshold} pages · throttled pauses ${want.throttled}`);
  assert.equal(await text(page, "#pc-time"), `simulated time ${want.timeMs} ms`);
  assert.equal(await text(page, "#pc-log"), want.log.map((l) => l.command + (l.output ? " " + l.output.trimEnd() : "")).join("\n"));
});
