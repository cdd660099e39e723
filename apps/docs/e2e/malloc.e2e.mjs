// The live part of the malloc page: seed 004's program in the simulated process. The stdio
// buffers on a 132 kB [heap]; malloc(1575936) → its own 1540 kB mapping, Rss 8 kB after the two
// writes; malloc(8388999) → merged below it into 9736 kB, Rss 16 kB; 4096 and 8192 on the heap
// with Rss 4 → 8 → 12 kB (16 with memset); free unmapping a large block; zh; Node = browser.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function ready(page) {
  await page.locator("#ml-vmas").waitFor();
}

/** The VMA table as [range, perms, name, Size, Rss] rows. */
async function vmas(page) {
  return page.$$eval("#ml-vmas tr.ml-vma", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim())));
}

async function blocks(page) {
  return page.$$eval("#ml-blocks tr.ml-block", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(0, 4).map((td) => td.textContent.trim())));
}

async function click(page, sel) {
  const before = await page.locator("#ml-log").textContent();
  await page.click(sel);
  await page.waitForFunction((b) => document.querySelector("#ml-log")?.textContent !== b, before);
}

const malloc = (n) => `.ml-malloc[data-size="${n}"]`;
const act = (op, i) => `.ml-act[data-op="${op}"][data-block="${i}"]`;

test("malloc: seed 004's first run, 1540 kB then 9736 kB mappings with Rss 8 then 16 kB", async ({ page, goto, screenshot }) => {
  await goto("/malloc.html");
  await ready(page);
  // printf's and getchar's buffers: sbrk(1024 + 16 + M_TOP_PAD) rounded to pages = 132 kB, one page touched
  assert.deepEqual(await vmas(page), [["555555554000-555555575000", "rw-p", "[heap]", "132 kB", "4 kB"]]);
  await click(page, malloc(1575936));
  await click(page, act("touch", 0));
  assert.deepEqual(await vmas(page), [
    ["555555554000-555555575000", "rw-p", "[heap]", "132 kB", "4 kB"],
    ["7ffff7e7e000-7ffff7fff000", "rw-p", "", "1540 kB", "8 kB"],
  ]);
  assert.deepEqual(await blocks(page), [["p0", "1575936", "0x7ffff7e7e010", "anonymous mapping"]]);
  await click(page, malloc(8388999));
  await click(page, act("touch", 1));
  // mapped just below the first block and merged with it (the seed's "grew downward")
  assert.deepEqual((await vmas(page))[1], ["7ffff767d000-7ffff7fff000", "rw-p", "", "9736 kB", "16 kB"]);
  assert.equal(await page.locator("#ml-rss").textContent(), "RssAnon: 20 kB");
  // free munmaps p0's part of the merged VMA: 9736 - 1540 kB left, one of its two pages
  await click(page, act("free", 0));
  assert.deepEqual((await vmas(page))[1], ["7ffff767d000-7ffff7e7e000", "rw-p", "", "8196 kB", "8 kB"]);
  assert.deepEqual((await blocks(page))[0], ["p0", "1575936", "0x7ffff7e7e010", "freed (unmapped)"]);
  assert.equal(await page.locator(act("touch", 0)).isDisabled(), true);
  await screenshot("malloc-en");
});

test("malloc: seed 004's second run on the heap, Rss 4 → 8 → 12 kB, and 16 kB with memset", async ({ page, goto }) => {
  await goto("/malloc.html");
  await ready(page);
  await click(page, malloc(4096));
  await click(page, act("touch", 0));
  assert.deepEqual(await vmas(page), [["555555554000-555555575000", "rw-p", "[heap]", "132 kB", "8 kB"]]);
  await click(page, malloc(8192));
  await click(page, act("touch", 1));
  assert.deepEqual(await vmas(page), [["555555554000-555555575000", "rw-p", "[heap]", "132 kB", "12 kB"]]);
  assert.deepEqual((await blocks(page)).map((b) => b[3]), ["[heap]", "[heap]"]);
  await click(page, act("memset", 1));
  assert.deepEqual(await vmas(page), [["555555554000-555555575000", "rw-p", "[heap]", "132 kB", "16 kB"]]);
});

test("malloc (zh): the Chinese page runs the same program with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/malloc.html");
  await ready(page);
  await click(page, malloc(200000));
  assert.deepEqual(await blocks(page), [["p0", "200000", "0x7ffff7fce010", "匿名映射"]]);
  await screenshot("malloc-zh");
});

test("malloc: the browser renders exactly the view the model computes in Node", async ({ page, goto }) => {
  const actions = [
    { op: "malloc", size: 200000 }, { op: "touch", block: 0 }, { op: "malloc", size: 8192 }, { op: "free", block: 0 },
    { op: "malloc", size: 200000 }, { op: "memset", block: 1 }, { op: "touch", block: 2 }, { op: "malloc", size: 4096 }, { op: "free", block: 1 },
  ];
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-malloc.ts", JSON.stringify(actions)], {
    cwd: DOCS, encoding: "utf8",
  });
  assert.equal(node.status, 0, `node-malloc.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/malloc.html");
  await ready(page);
  for (const a of actions) await click(page, a.op === "malloc" ? malloc(a.size) : act(a.op, a.block));
  const where = (b) => (b.vma === "—" ? "unmapped" : b.vma === "" ? "anonymous mapping" : b.vma);
  assert.deepEqual(await blocks(page), want.blocks.map((b) => [b.name, String(b.size), b.ptr, b.freed ? `freed (${where(b)})` : where(b)]));
  assert.deepEqual(await vmas(page), want.vmas.map((v) => [`${v.start.toString(16)}-${v.end.toString(16)}`, v.perms, v.name, `${v.sizeKb} kB`, `${v.rssKb} kB`]));
  assert.equal(await page.locator("#ml-rss").textContent(), `RssAnon: ${want.rssAnon}`);
  assert.equal(await page.locator("#ml-log").textContent(), want.log.map((l) => l.command + (l.output ? " " + l.output.trimEnd() : "")).join("\n"));
});
