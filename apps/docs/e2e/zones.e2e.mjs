// The "Zones and NUMA" page: zone ranges of the default 8 GiB machine, watermarks and
// lowmem_reserve recomputed here from the page's own managed counts with the kernel's formulas
// (mm/page_alloc.c __setup_per_zone_wmarks and setup_per_zone_lowmem_reserve), the NUMA
// zonelist order, and the 32-bit HighMem split at 896 MiB.
import assert from "node:assert/strict";
import { test } from "./harness.mjs";

async function rows(page) {
  return page.$$eval("#zones-table tbody tr", (trs) =>
    trs.map((tr) => {
      const c = (k) => tr.querySelector(`.${k}`).textContent.trim();
      return {
        id: tr.dataset.zone, pfns: c("z-pfns"), managed: Number(c("z-managed")),
        wmark: c("z-wmark").split(" / ").map(Number), protection: c("z-protection"),
      };
    }));
}

async function sysctls(page) {
  const s = await page.locator("#zone-sysctls").textContent();
  return {
    minFree: Number(/vm\.min_free_kbytes = (\d+)/.exec(s)[1]),
    scale: Number(/vm\.watermark_scale_factor = (\d+)/.exec(s)[1]),
    ratio: /vm\.lowmem_reserve_ratio = ([\d ]+)/.exec(s)[1].trim().split(" ").map(Number),
  };
}

test("zones: the default 8 GiB machine has DMA, DMA32 and Normal at the x86-64 boundaries, watermarks by formula", async ({ page, goto, screenshot }) => {
  await goto("/zones.html");
  await page.locator("#zones-table").waitFor();
  const r = await rows(page);
  assert.deepEqual(r.map((z) => z.id), ["0-DMA", "0-DMA32", "0-Normal", "0-Movable", "0-Device"]);
  // DMA: pfn 0..4095 (16 MiB); DMA32 from 4096 up to below 4 GiB; Normal from pfn 1048576 (4 GiB).
  assert.equal(r[0].pfns, "0–4095");
  assert.match(r[1].pfns, /^4096–\d+$/);
  assert.ok(Number(r[1].pfns.split("–")[1]) < 1048576);
  assert.match(r[2].pfns, /^1048576–\d+$/);
  assert.equal(r[3].pfns, "empty");
  const { minFree, scale, ratio } = await sysctls(page);
  assert.equal(scale, 10);
  assert.deepEqual(ratio, [256, 256, 32, 0, 0]);
  // __setup_per_zone_wmarks: share of pages_min by managed size; tmp = max(share/4, managed*scale/10000)
  const pagesMin = Math.floor(minFree / 4);
  const lowmem = r[0].managed + r[1].managed + r[2].managed;
  for (const z of r.slice(0, 3)) {
    const share = Math.floor((pagesMin * z.managed) / lowmem);
    const tmp = Math.max(Math.floor(share / 4), Math.floor((z.managed * scale) / 10000));
    assert.deepEqual(z.wmark, [share, share + tmp, share + 2 * tmp], z.id);
  }
  // empty Movable: min clamped to 32 (SWAP_CLUSTER_MAX), tmp 0
  assert.deepEqual(r[3].wmark, [32, 32, 32]);
  // setup_per_zone_lowmem_reserve: reserve[j] of zone i = Σ managed(i+1..j) / ratio[i]
  const m = r.map((z) => z.managed);
  const prot = (i) => `(${[0, 1, 2, 3, 4].map((j) => (j <= i ? 0 : Math.floor(m.slice(i + 1, j + 1).reduce((a, b) => a + b, 0) / ratio[i]))).join(", ")})`;
  assert.equal(r[0].protection, prot(0));
  assert.equal(r[1].protection, prot(1));
  assert.equal(r[2].protection, "(0, 0, 0, 0, 0)");
  assert.deepEqual(await page.locator("#zonelists li").allTextContents(), ["node 0: Node 0 Normal → Node 0 DMA32 → Node 0 DMA"]);
  assert.match(await page.locator("#zone-boot-log").textContent(), /^Zone ranges:\n {2}DMA {6}\[mem 0x0000000000000000-0x0000000000ffffff\]/);
  await screenshot("zones-en");
});

test("zones: a two-node machine falls back to the nearer node's zones after its own", async ({ page, goto }) => {
  await goto("/zones.html");
  await page.selectOption("#machine-select", "numa");
  await page.locator('#zones-table tr[data-zone="1-Normal"]').waitFor();
  assert.deepEqual(await page.locator("#zonelists li").allTextContents(), [
    "node 0: Node 0 Normal → Node 0 DMA32 → Node 0 DMA → Node 1 Normal",
    "node 1: Node 1 Normal → Node 0 Normal → Node 0 DMA32 → Node 0 DMA",
  ]);
});

test("zones: 32-bit x86 has HighMem above 896 MiB (pfn 229376) with min clamped to [32, 128]", async ({ page, goto }) => {
  await goto("/zones.html");
  await page.selectOption("#machine-select", "i386");
  await page.locator('#zones-table tr[data-zone="0-HighMem"]').waitFor();
  const r = await rows(page);
  const normal = r.find((z) => z.id === "0-Normal");
  const high = r.find((z) => z.id === "0-HighMem");
  assert.match(normal.pfns, /^4096–229375$/);
  assert.match(high.pfns, /^229376–\d+$/);
  assert.equal(high.wmark[0], Math.min(128, Math.max(32, Math.floor(high.managed / 1024))));
});

test("zones (zh): the Chinese page boots the same machine", async ({ page, goto, screenshot }) => {
  await goto("/zh/zones.html");
  await page.locator("#zones-table").waitFor();
  assert.match(await page.locator("#machine-select option").first().textContent(), /默认机器/);
  const r = await rows(page);
  assert.equal(r[0].pfns, "0–4095");
  await screenshot("zones-zh");
});
