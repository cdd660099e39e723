// The live fork and copy-on-write page: dup_mmap/copy_pte_range write-protecting both sides and
// taking a reference per shared page, do_wp_page copying a shared page (wp_page_copy) and reusing
// an exclusive one (wp_can_reuse_anon_folio: refcount 1, pgreuse), the zero page on a read,
// smaps' Pss halving for shared pages, exit_mmap dropping the child's references, both locales,
// and Node = browser.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function ready(page) {
  await page.locator("#fc-table").waitFor();
}

/** The four rows as [parent cell, child cell] texts. */
async function cells(page) {
  return page.$$eval("#fc-table tr.fc-row", (trs) => trs.map((tr) => ["parent", "child"].map((w) => tr.querySelector(`td[data-who="${w}"] .fc-cell`).textContent.trim())));
}

async function click(page, sel) {
  const before = await page.locator("#fc-log").textContent();
  await page.click(sel);
  await page.waitForFunction((b) => document.querySelector("#fc-log")?.textContent !== b, before);
}

const access = (who, op, i) => `.fc-act[data-who="${who}"][data-op="${op}"][data-page="${i}"]`;

test("fork/COW: fork shares every written page read-only in both tasks with refcount and mapcount 2, Pss halves", async ({ page, goto, screenshot }) => {
  await goto("/fork-cow.html");
  await ready(page);
  // before the fork: the parent alone, three written pages, writable (do_anonymous_page), refcount 1
  assert.deepEqual((await cells(page)).map((c) => c[0]), [
    "pfn 12287 · RW D · ref 1 map 1 · byte 11",
    "pfn 12286 · RW D · ref 1 map 1 · byte 22",
    "pfn 12285 · RW D · ref 1 map 1 · byte 33",
    "no PTE",
  ]);
  await click(page, "#fc-fork");
  assert.match(await page.locator("#fc-log").textContent(), /parent: fork\(\) as child = 2 \(on CPU 0\)$/);
  // copy_present_pte: same frame in both, RW cleared in the parent too, one more ref and mapping
  assert.deepEqual(await cells(page), [
    ["pfn 12287 · read-only D · ref 2 map 2 · byte 11", "pfn 12287 · read-only D · ref 2 map 2 · byte 11"],
    ["pfn 12286 · read-only D · ref 2 map 2 · byte 22", "pfn 12286 · read-only D · ref 2 map 2 · byte 22"],
    ["pfn 12285 · read-only D · ref 2 map 2 · byte 33", "pfn 12285 · read-only D · ref 2 map 2 · byte 33"],
    ["no PTE", "no PTE"],
  ]);
  assert.equal(await page.locator("#fc-outcome").getAttribute("data-outcome"), "fork");
  // smaps_account: mapcount 2 → each task's Pss is half its Rss
  assert.equal(await page.locator("#fc-rss").textContent(), "parent Rss 12 kB Pss 6 kB · child Rss 12 kB Pss 6 kB");
  assert.equal(await page.locator("#fc-counters").textContent(), "pgfault 3 · pgreuse 0");
  await screenshot("fork-cow-en");
});

test("fork/COW: the child's write copies the page, the parent's then reuses its own; zero page on read; exit drops the refs", async ({ page, goto }) => {
  await goto("/fork-cow.html");
  await ready(page);
  await click(page, "#fc-fork");
  await click(page, access("child", "write", 0));
  // wp_page_copy: the child gets a new frame with the copy (first byte now 0xcc), the old one loses a ref
  assert.deepEqual((await cells(page))[0], ["pfn 12287 · read-only D · ref 1 map 1 · byte 11", "pfn 12284 · RW D · ref 1 map 1 · byte cc"]);
  assert.equal(await page.locator("#fc-outcome").getAttribute("data-outcome"), "cow-copy");
  assert.equal(await page.locator("#fc-rss").textContent(), "parent Rss 12 kB Pss 8 kB · child Rss 12 kB Pss 8 kB");
  // the parent's write: refcount 1, so do_wp_page reuses the frame in place (no copy, pgreuse + 1)
  await click(page, access("parent", "write", 0));
  assert.deepEqual((await cells(page))[0], ["pfn 12287 · RW D · ref 1 map 1 · byte aa", "pfn 12284 · RW D · ref 1 map 1 · byte cc"]);
  assert.equal(await page.locator("#fc-outcome").getAttribute("data-outcome"), "cow-reuse");
  assert.equal(await page.locator("#fc-counters").textContent(), "pgfault 5 · pgreuse 1");
  // a read of the untouched page maps the zero page; the write after it gets a fresh page
  await click(page, access("child", "read", 3));
  assert.equal(await page.locator("#fc-outcome").getAttribute("data-outcome"), "zero-page");
  assert.match((await cells(page))[3][1], /^pfn \d+ \(zero page\) · read-only · byte 00$/);
  await click(page, access("child", "write", 3));
  assert.equal(await page.locator("#fc-outcome").getAttribute("data-outcome"), "cow-zero");
  assert.equal((await cells(page))[3][1], "pfn 12283 · RW D · ref 1 map 1 · byte cc");
  // exit_mmap: the still-shared pages 1 and 2 go back to one reference; the parent's PTEs stay read-only
  await click(page, "#fc-exit");
  assert.deepEqual((await cells(page)).map((c) => c[0]), [
    "pfn 12287 · RW D · ref 1 map 1 · byte aa",
    "pfn 12286 · read-only D · ref 1 map 1 · byte 22",
    "pfn 12285 · read-only D · ref 1 map 1 · byte 33",
    "no PTE",
  ]);
  assert.equal(await page.locator("#fc-rss").textContent(), "parent Rss 12 kB Pss 12 kB");
  // so the parent's next write there is a reuse, not a copy
  await click(page, access("parent", "write", 1));
  assert.equal(await page.locator("#fc-outcome").getAttribute("data-outcome"), "cow-reuse");
  assert.equal((await cells(page))[1][0], "pfn 12286 · RW D · ref 1 map 1 · byte aa");
});

test("fork/COW (zh): the Chinese page runs the same kernel with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/fork-cow.html");
  await ready(page);
  await click(page, "#fc-fork");
  assert.deepEqual((await cells(page))[0], ["pfn 12287 · 只读 D · ref 2 map 2 · 字节 11", "pfn 12287 · 只读 D · ref 2 map 2 · 字节 11"]);
  assert.match(await page.locator("#fc-outcome").textContent(), /^dup_mmap 复制了 VMA/);
  await screenshot("fork-cow-zh");
});

test("fork/COW: the browser renders exactly the view the model computes in Node", async ({ page, goto }) => {
  const actions = [
    { op: "write", who: "parent", page: 3 },
    { op: "fork" },
    { op: "read", who: "parent", page: 1 },
    { op: "write", who: "parent", page: 1 },
    { op: "write", who: "child", page: 1 },
    { op: "write", who: "child", page: 3 },
    { op: "read", who: "child", page: 2 },
    { op: "write", who: "parent", page: 2 },
  ];
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-fork-cow.ts", JSON.stringify(actions)], {
    cwd: DOCS, encoding: "utf8",
  });
  assert.equal(node.status, 0, `node-fork-cow.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/fork-cow.html");
  await ready(page);
  for (const a of actions) await click(page, a.op === "fork" ? "#fc-fork" : access(a.who, a.op, a.page));
  const text = (s) => {
    if (s === null) return "—";
    if (!s.present) return "no PTE";
    if (s.zero) return `pfn ${s.pfn} (zero page) · ${s.rw ? "RW" : "read-only"} · byte ${s.byte}`;
    return `pfn ${s.pfn} · ${s.rw ? "RW" : "read-only"}${s.dirty ? " D" : ""} · ref ${s.refcount} map ${s.mapcount} · byte ${s.byte}`;
  };
  assert.deepEqual(await cells(page), want.rows.map((r) => [text(r.parent), text(r.child)]));
  assert.equal(await page.locator("#fc-outcome").getAttribute("data-outcome"), want.outcome);
  assert.equal(await page.locator("#fc-rss").textContent(), `parent Rss ${want.rss.parent} Pss ${want.rss.pss} · child Rss ${want.rss.child} Pss ${want.rss.childPss}`);
  assert.equal(await page.locator("#fc-counters").textContent(), `pgfault ${want.pgfault} · pgreuse ${want.pgreuse}`);
  assert.equal(await page.locator("#fc-log").textContent(), want.log.map((l) => l.command + (l.output ? " " + l.output.trimEnd() : "")).join("\n"));
});
