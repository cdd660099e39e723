// The live buddy-allocator page: exact /proc/buddyinfo after allocations, frees and a drain on
// the 32 MiB demo machine (DMA pfns 0–4095 with 3840 managed pages, DMA32 pfns 4096–8191 with
// 3584), the fragmentation scenario, both locales, and the same results as the model in Node.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** One buddyinfo line in Linux's format: "Node %d, zone %8s " then "%6lu " per order. */
function line(zone, counts) {
  return `Node 0, zone ${zone.padStart(8)} ` + counts.map((c) => `${String(c).padStart(6)} `).join("");
}

// At boot: DMA 3840 = 3×1024 + 512 + 256; DMA32 3584 = 3×1024 + 512.
const DMA_BOOT = line("DMA", [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3]);
const DMA32_BOOT = line("DMA32", [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3]);

async function buddyinfo(page) {
  return (await page.locator("#buddyinfo").textContent()).replace(/\n$/, "").split("\n");
}

async function alloc(page, gfp, order) {
  await page.selectOption("#gfp-select", gfp);
  await page.selectOption("#order-select", String(order));
  await page.click("#alloc-button");
}

async function freeRow(page, zone, mt) {
  return (await page.locator(`#free-lists tr[data-zone="${zone}"][data-mt="${mt}"] td.num`).allTextContents()).map(Number);
}

async function zoneCell(page, zone, cls) {
  return (await page.locator(`#zone-table tr[data-zone="${zone}"] .${cls}`).textContent()).trim();
}

test("buddy: boot state, split on alloc, per-CPU frees, merge on drain — exact buddyinfo", async ({ page, goto, screenshot }) => {
  await goto("/buddy.html");
  await page.locator("#buddyinfo").waitFor();
  assert.deepEqual(await buddyinfo(page), [DMA_BOOT, DMA32_BOOT]);

  // An unmovable order-0 request: no Unmovable block exists, so the allocator claims a whole
  // order-10 Movable block and splits it: one block left at each order 0..9.
  await alloc(page, "GFP_KERNEL", 0);
  assert.deepEqual(await buddyinfo(page), [DMA_BOOT, line("DMA32", [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2])]);
  // The claimed block's two pageblocks became Unmovable, so the split-off halves sit on the
  // Unmovable lists; the untouched Movable order-9 and two order-10 blocks stay Movable.
  assert.deepEqual(await freeRow(page, "DMA32", "Unmovable"), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  assert.deepEqual(await freeRow(page, "DMA32", "Movable"), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);

  // A movable order-3 request splits the Movable order-9 block: 9 → 8, 7, 6, 5, 4, 3 (+ the one taken).
  await alloc(page, "GFP_HIGHUSER_MOVABLE", 3);
  assert.deepEqual(await buddyinfo(page), [DMA_BOOT, line("DMA32", [1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 2])]);
  assert.equal(await page.locator(".free-button").count(), 2);
  await screenshot("buddy-en");

  // Freeing both (orders ≤ 3) puts 1 + 8 pages on the CPU's per-CPU lists: buddyinfo does not move.
  for (let n = await page.locator(".free-button").count(); n > 0; n--) await page.locator(".free-button").first().click();
  assert.equal(await page.locator(".free-button").count(), 0);
  assert.deepEqual(await buddyinfo(page), [DMA_BOOT, line("DMA32", [1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 2])]);
  assert.equal(await zoneCell(page, "DMA32", "zone-pcp"), "9");

  // drain_all_pages(): every buddy merges back and DMA32 is as at boot.
  await page.click("#drain-button");
  assert.deepEqual(await buddyinfo(page), [DMA_BOOT, DMA32_BOOT]);
  assert.equal(await zoneCell(page, "DMA32", "zone-pcp"), "0");
  assert.equal(await zoneCell(page, "DMA32", "zone-free"), "3584");
  const log = await page.locator("#buddy-log").textContent();
  assert.match(log, /^alloc_pages\(GFP_KERNEL, order=0\) = pfn \d+ \(zone DMA32, 1 page, pageblock Unmovable\)$/m);
  assert.match(log, /^alloc_pages\(GFP_HIGHUSER_MOVABLE, order=3\) = pfn \d+ \(zone DMA32, 8 pages, pageblock Movable\)$/m);
  assert.match(log, /^drain_all_pages\(\)$/m);
});

test("buddy: GFP_DMA is served from the DMA zone only", async ({ page, goto }) => {
  await goto("/buddy.html");
  await page.locator("#buddyinfo").waitFor();
  await alloc(page, "GFP_DMA|GFP_KERNEL", 2);
  const [dma, dma32] = await buddyinfo(page);
  assert.equal(dma32, DMA32_BOOT);
  assert.notEqual(dma, DMA_BOOT);
  assert.match(await page.locator("#buddy-log").textContent(), /zone DMA, 4 pages/);
});

test("buddy: fragmenting memory leaves half of it free in single pages; a larger block fails", async ({ page, goto, screenshot }) => {
  await goto("/buddy.html");
  await page.click("#fragment-button");
  const log = await page.locator("#buddy-log").textContent();
  const m = /(\d+) pages \([\d.]+ MiB\) are free, but the largest free block has order (\d+)/.exec(log);
  assert.ok(m, log);
  const largest = Number(m[2]);
  const lines = await buddyinfo(page);
  // every free block is counted once: Σ count × 2^order over both zones = the free pages in the log
  const counts = lines.map((l) => l.trim().split(/\s+/).slice(4).map(Number));
  assert.equal(counts.flat().length, 22);
  assert.equal(counts.reduce((s, c) => s + c.reduce((a, n, o) => a + n * 2 ** o, 0), 0), Number(m[1]));
  assert.ok(Number(m[1]) > 3000, "more than 3000 pages (12 MiB) free");
  assert.ok(largest < 10 && counts.every((c) => c.slice(largest + 1).every((n) => n === 0)));
  await alloc(page, "GFP_KERNEL", largest + 1);
  assert.match(await page.locator("#buddy-log").textContent(), new RegExp(`alloc_pages\\(GFP_KERNEL, order=${largest + 1}\\) = -1`));
  await screenshot("buddy-fragmented-en");
});

test("buddy (zh): the Chinese page drives the same machine with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/buddy.html");
  await page.locator("#buddyinfo").waitFor();
  assert.equal((await page.locator("#drain-button").innerText()).trim(), "清空 per-CPU 链表");
  assert.deepEqual(await buddyinfo(page), [DMA_BOOT, DMA32_BOOT]);
  await alloc(page, "GFP_KERNEL", 0);
  assert.deepEqual(await buddyinfo(page), [DMA_BOOT, line("DMA32", [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2])]);
  await screenshot("buddy-zh");
});

test("buddy: the browser shows exactly what the model computes in Node for the same clicks", async ({ page, goto }) => {
  const actions = [
    { alloc: "GFP_KERNEL", order: 0 }, { alloc: "GFP_KERNEL|__GFP_RECLAIMABLE", order: 5 }, { alloc: "GFP_ATOMIC", order: 9 },
    { alloc: "GFP_HIGHUSER_MOVABLE", order: 10 }, { alloc: "GFP_DMA|GFP_KERNEL", order: 1 }, { free: "first" }, { free: "first" },
    { drain: true }, { alloc: "GFP_HIGHUSER_MOVABLE", order: 10 }, { alloc: "GFP_HIGHUSER_MOVABLE", order: 10 }, { fragment: true },
    { alloc: "GFP_HIGHUSER_MOVABLE", order: 2 }, { reset: true },
  ];
  await goto("/buddy.html");
  await page.locator("#buddyinfo").waitFor();
  const seen = [];
  const replay = [];
  for (const a of actions) {
    if ("alloc" in a) await alloc(page, a.alloc, a.order);
    else if ("free" in a) {
      const pfn = Number(await page.locator(".free-button").first().getAttribute("data-pfn"));
      replay.push({ free: pfn });
      await page.locator(".free-button").first().click();
    } else if ("drain" in a) await page.click("#drain-button");
    else if ("fragment" in a) await page.click("#fragment-button");
    else await page.click("#reset-button");
    if (!("free" in a)) replay.push(a);
    seen.push({
      buddyinfo: await page.locator("#buddyinfo").textContent(),
      free: await page.locator("#zone-table .zone-free").allTextContents(),
      pcp: await page.locator("#zone-table .zone-pcp").allTextContents(),
      log: await page.locator("#buddy-log").textContent(),
    });
  }
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-buddy.ts", JSON.stringify(replay)], { cwd: DOCS, encoding: "utf8" });
  assert.equal(node.status, 0, `node-buddy.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  for (let i = 0; i < actions.length; i++) {
    const label = `after action ${i}: ${JSON.stringify(replay[i])}`;
    assert.equal(seen[i].buddyinfo, want[i].buddyinfo, label);
    assert.deepEqual(seen[i].free, want[i].zones.map((z) => String(z.free)), label);
    assert.deepEqual(seen[i].pcp, want[i].zones.map((z) => String(z.pcp)), label);
    assert.equal(seen[i].log, want[i].log.join("\n") || "—", label);
  }
});

test("buddy: the highatomic section's numbers are the demo machine's (1% of DMA32 under one pageblock: no reserve)", async ({ page, goto }) => {
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-buddy.ts", JSON.stringify([{ reset: true }])], { cwd: DOCS, encoding: "utf8" });
  assert.equal(node.status, 0, `node-buddy.ts failed: ${node.stderr}`);
  const zones = JSON.parse(node.stdout)[0].zones;
  // mm/page_alloc.c reserve_highatomic_pageblock(): a zone whose managed/100 is below
  // pageblock_nr_pages (512) reserves nothing (6.8+)
  for (const z of zones) assert.ok(Math.floor(z.managed / 100) < 512, z.name);
  const dma32 = zones.find((z) => z.name === "DMA32");
  const claims = { "/buddy.html": /1% of DMA32's (\d+) pages is (\d+) pages, far less than 512/, "/zh/buddy.html": /DMA32 的 (\d+) 页的 1% 是 (\d+) 页，远小于 512/ };
  for (const [url, re] of Object.entries(claims)) {
    await goto(url);
    await page.locator("#zone-table").waitFor();
    assert.equal((await page.locator('#zone-table tr[data-zone="DMA32"] .zone-managed').textContent()).trim(), String(dma32.managed), url);
    const m = re.exec(await page.locator(".vp-doc").innerText());
    assert.ok(m, `${url}: highatomic sentence not found`);
    assert.deepEqual([Number(m[1]), Number(m[2])], [dma32.managed, Math.floor(dma32.managed / 100)], url);
  }
});
