// The live SLUB page: kmalloc-256 geometry on a one-CPU machine (mm/slub.c calculate_order,
// set_min_partial, set_cpu_partial; free pointer at ALIGN_DOWN(object_size / 2, 8)), the
// lockless freelist popping and pushing objects LIFO, slabs filling up, the kmalloc size
// classes (mm/slab_common.c kmalloc_info, size_index), both locales, and Node = browser.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function freelist(page) {
  const t = (await page.locator("#cpu-freelist").textContent()).replace(/\s+/g, " ").trim();
  return t.startsWith("NULL") ? [] : t.replace(/ → NULL$/, "").split(" → ");
}

async function slabs(page) {
  return page.$$eval("#slabs .slab", (els) => els.map((e) => `${e.dataset.where}:${e.querySelector(".inuse").textContent}/${e.querySelectorAll(".obj").length}`));
}

function plus(va, bytes) {
  return (BigInt("0x" + va) + BigInt(bytes)).toString(16);
}

test("slub: kmalloc-256 on one CPU has 16 objects per order-0 slab, free pointer at offset 128", async ({ page, goto }) => {
  await goto("/slub.html");
  await page.selectOption("#cache-select", "kmalloc-256");
  // 1 CPU: min_objects 4*(fls(1)+1) = 8 → order 0 holds 4096/256 = 16; min_partial clamp(ilog2(256)/2, 5, 10) = 5;
  // cpu_partial 52 for 256 ≤ size < 1024
  assert.equal((await page.locator("#cache-geometry").textContent()).trim(),
    "object_size 256 · size 256 · 16 objects per slab of order 0 · free pointer at offset 128 · min_partial 5 · cpu_partial 52");
  assert.deepEqual(await freelist(page), []);
  assert.deepEqual(await slabs(page), []);
});

test("slub: the first alloc makes a CPU slab; alloc pops c->freelist, free pushes back (LIFO)", async ({ page, goto, screenshot }) => {
  await goto("/slub.html");
  await page.selectOption("#cache-select", "kmalloc-256");
  await page.click("#slub-alloc");
  const first = /= ([0-9a-f]{16})$/.exec((await page.locator("#slub-log").textContent()).trim())[1];
  assert.match(first, /^ffff888/);
  // a new slab's freelist runs through the objects in address order (no freelist randomisation)
  const fl = await freelist(page);
  assert.deepEqual(fl, Array.from({ length: 15 }, (_, i) => plus(first, 256 * (i + 1))));
  assert.deepEqual(await slabs(page), ["cpu-slab:1/16"]);
  // the next alloc returns the head of the freelist
  await page.click("#slub-alloc");
  assert.match(await page.locator("#slub-log").textContent(), new RegExp(`= ${fl[0]}$`));
  assert.deepEqual(await freelist(page), fl.slice(1));
  // freeing it pushes it back on the head
  await page.click("#slub-free-last");
  assert.deepEqual(await freelist(page), fl);
  assert.match(await page.locator("#slub-log").textContent(), new RegExp(`kmem_cache_free\\(kmalloc-256, ${fl[0]}\\)$`));
  await screenshot("slub-en");
});

test("slub: 17 allocations fill the first slab (on no list) and start a second CPU slab", async ({ page, goto }) => {
  await goto("/slub.html");
  await page.selectOption("#cache-select", "kmalloc-256");
  for (let i = 0; i < 17; i++) await page.click("#slub-alloc");
  assert.deepEqual(await slabs(page), ["cpu-slab:1/16", "full:16/16"]);
  assert.equal((await freelist(page)).length, 15);
  // /proc/slabinfo: 2 slabs of 16 objects, 1 page each. active_objs is 32, not 17: SLUB's
  // get_slabinfo (mm/slub.c) subtracts only the free objects of node-partial slabs, and both
  // slabs here are the CPU slab and a full one.
  assert.match(await page.locator("#slabinfo-line").textContent(), /^kmalloc-256 +32 +32 +256 +16 +1 : tunables +0 +0 +0 : slabdata +2 +2 +0$/);
  // free one object of the full slab: it moves to the CPU partial list with one free object
  await page.locator(".obj-free").first().click();
  assert.deepEqual(await slabs(page), ["cpu-slab:1/16", "cpu-partial:15/16"]);
});

test("slub: kmalloc size lookup picks the smallest class that fits", async ({ page, goto }) => {
  await goto("/slub.html");
  const cases = [
    [1, "kmalloc-8: gets 8 bytes, 7 wasted (internal fragmentation)"],
    [65, "kmalloc-96: gets 96 bytes, 31 wasted (internal fragmentation)"],
    [100, "kmalloc-128: gets 128 bytes, 28 wasted (internal fragmentation)"],
    [129, "kmalloc-192: gets 192 bytes, 63 wasted (internal fragmentation)"],
    [193, "kmalloc-256: gets 256 bytes, 63 wasted (internal fragmentation)"],
    [1025, "kmalloc-2k: gets 2048 bytes, 1023 wasted (internal fragmentation)"],
    [8192, "kmalloc-8k: gets 8192 bytes, 0 wasted (internal fragmentation)"],
    [8193, "no slab cache above 8 KiB: kmalloc takes a compound page of order get_order(size) from the buddy allocator"],
    [0, "ZERO_SIZE_PTR (0x10): nothing is allocated"],
    [4194305, "NULL: above KMALLOC_MAX_SIZE (4 MiB)"],
  ];
  for (const [size, want] of cases) {
    await page.fill("#kmalloc-size", String(size));
    assert.equal((await page.locator("#kmalloc-result").textContent()).trim(), want, `kmalloc(${size})`);
  }
});

test("slub (zh): the Chinese page shows the same cache with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/slub.html");
  await page.selectOption("#cache-select", "kmalloc-256");
  assert.match(await page.locator("#cache-geometry").textContent(), /每个 0 阶 slab 有 16 个对象/);
  await page.click("#slub-alloc");
  assert.equal((await freelist(page)).length, 15);
  await page.fill("#kmalloc-size", "100");
  assert.equal((await page.locator("#kmalloc-result").textContent()).trim(), "kmalloc-128：实际得到 128 字节，浪费 28 字节（内部碎片）");
  await screenshot("slub-zh");
});

test("slub: the browser shows exactly what the model computes in Node for the same clicks", async ({ page, goto }) => {
  const actions = [];
  for (const cache of ["kmalloc-64", "kmalloc-1k", "kmalloc-96"]) {
    for (let i = 0; i < 10; i++) actions.push({ cache, alloc: true });
    for (let i = 0; i < 3; i++) actions.push({ cache, freeLast: true });
    actions.push({ cache, alloc: true });
  }
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-slub.ts", JSON.stringify(actions)], { cwd: DOCS, encoding: "utf8" });
  assert.equal(node.status, 0, `node-slub.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/slub.html");
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i];
    await page.selectOption("#cache-select", a.cache);
    await page.click(a.alloc ? "#slub-alloc" : "#slub-free-last");
    const label = `action ${i}: ${JSON.stringify(a)}`;
    assert.deepEqual(await freelist(page), want[i].cpuFreelist, label);
    const heads = await page.$$eval("#slabs .slab", (els) => els.map((e) => `${e.dataset.where}:${e.dataset.pfn}:${e.querySelector(".inuse").textContent}/${e.querySelectorAll(".obj").length}`));
    assert.deepEqual(heads, want[i].slabs, label);
    assert.equal((await page.locator("#slabinfo-line").textContent()).trim(), want[i].slabinfo.trim(), label);
  }
});
