// The "Zones and NUMA" page: zone ranges of the default 8 GiB machine, watermarks and
// lowmem_reserve recomputed here from the page's own managed counts with the kernel's formulas
// (mm/page_alloc.c __setup_per_zone_wmarks and setup_per_zone_lowmem_reserve), the NUMA
// zonelist order, the four-node machine's fallback node orders (build_zonelists with
// find_next_best_node and node_load[]) against the model run in Node, the node_load example
// against the physical layer, and the 32-bit HighMem split at 896 MiB.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Runs e2e/node-zones.ts (the page's model and the physical layer, in Node) and parses its JSON. */
function nodeModel(arg) {
  const r = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-zones.ts", JSON.stringify(arg)], { cwd: DOCS, encoding: "utf8" });
  assert.equal(r.status, 0, `node-zones.ts failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** What the page shows about nodes: the fallback table, the boot lines, zonelists, boot log. */
async function nodeView(page) {
  return {
    nodes: await page.$$eval("#node-fallback tbody tr", (trs) =>
      trs.map((tr) => {
        const c = (k) => tr.querySelector(`.${k}`).textContent.trim();
        return { nid: Number(tr.dataset.nid), cpus: c("nf-cpus"), distance: c("nf-distance"), order: c("nf-order") };
      })),
    fallbackLog: await page.locator("#fallback-log").textContent(),
    zonelists: await page.locator("#zonelists li").allTextContents(),
    bootLog: await page.locator("#zone-boot-log").textContent(),
  };
}

/** The component's labels that nodeView() reads, per locale. */
const EN = { node: "node", noCpus: "none" };
const ZH = { node: "节点", noCpus: "无" };

/** The same as nodeView(), as the page renders it from the model's ZonesView (in Node), with its locale's labels. */
function expectedNodeView(v, { node, noCpus }) {
  return {
    nodes: v.nodes.map((n) => ({ nid: n.nid, cpus: n.cpus.length ? n.cpus.join(" ") : noCpus, distance: n.distance.join(" "), order: n.fallback.join(" → ") })),
    fallbackLog: v.fallbackLog.join("\n"),
    zonelists: v.zonelists.map((zl) => `${node} ${zl.nid}: ${zl.zones.join(" → ")}`),
    bootLog: v.bootZoneLines.join("\n"),
  };
}

/** The two-socket distance matrix of the node_load example on the page (both locales). */
const TWO_SOCKETS = [[10, 11, 21, 21], [11, 10, 21, 21], [21, 21, 10, 11], [21, 21, 11, 10]];

/**
 * Parses the page's node_load example block: per node its SLIT row, its fallback order and
 * node_load[] after its build.
 */
async function nodeLoadExample(page) {
  const text = await page.locator("#node-load-example pre").textContent();
  const rows = [...text.matchAll(/^ {2}node (\d):((?: +\d+){4}) +node \1 → ((?:\d ?){4}) +\[([\d ]+)\]$/gm)];
  return rows.map((m) => ({
    nid: Number(m[1]),
    distance: m[2].trim().split(/ +/).map(Number),
    order: m[3].trim().split(" ").map(Number),
    load: m[4].split(" ").map(Number),
  }));
}

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
  // DMA: pfn 1..4095 (below 16 MiB; pfn 0 is firmware's, so start_pfn is 1 as in a real
  // /proc/zoneinfo); DMA32 from 4096 up to below 4 GiB; Normal from pfn 1048576 (4 GiB).
  assert.equal(r[0].pfns, "1–4095");
  assert.match(r[1].pfns, /^4096–\d+$/);
  assert.ok(Number(r[1].pfns.split("–")[1]) < 1048576);
  assert.match(r[2].pfns, /^1048576–\d+$/);
  assert.equal(r[3].pfns, "empty");
  const { minFree, scale, ratio } = await sysctls(page);
  assert.equal(scale, 10);
  assert.deepEqual(ratio, [256, 256, 32, 0, 0]);
  // __setup_per_zone_wmarks: share of pages_min by managed size; tmp = max(share/4, managed*scale/10000).
  // The managed counts it saw exclude what free_initmem and mark_rodata_ro freed later (init/main.c
  // kernel_init runs them after every initcall): the kernel image sits at 16 MiB, in DMA32.
  const pagesMin = Math.floor(minFree / 4);
  const lateKb = Number(await page.getAttribute("#zone-late-frees", "data-kb"));
  assert.equal(lateKb, 3728 + 2012 + 2012);
  const atWmark = r.map((z) => z.managed - (z.id === "0-DMA32" ? lateKb / 4 : 0));
  const lowmem = atWmark[0] + atWmark[1] + atWmark[2];
  for (const [i, z] of r.slice(0, 3).entries()) {
    const share = Math.floor((pagesMin * atWmark[i]) / lowmem);
    const tmp = Math.max(Math.floor(share / 4), Math.floor((atWmark[i] * scale) / 10000));
    assert.deepEqual(z.wmark, [share, share + tmp, share + 2 * tmp], z.id);
  }
  // empty Movable: min clamped to 32 (SWAP_CLUSTER_MAX), tmp 0
  assert.deepEqual(r[3].wmark, [32, 32, 32]);
  // setup_per_zone_lowmem_reserve: reserve[j] of zone i = Σ managed(i+1..j) / ratio[i], also
  // computed before the late frees
  const m = atWmark;
  const prot = (i) => `(${[0, 1, 2, 3, 4].map((j) => (j <= i ? 0 : Math.floor(m.slice(i + 1, j + 1).reduce((a, b) => a + b, 0) / ratio[i]))).join(", ")})`;
  assert.equal(r[0].protection, prot(0));
  assert.equal(r[1].protection, prot(1));
  assert.equal(r[2].protection, "(0, 0, 0, 0, 0)");
  assert.deepEqual(await page.locator("#zonelists li").allTextContents(), ["node 0: Node 0 Normal → Node 0 DMA32 → Node 0 DMA"]);
  assert.match(await page.locator("#zone-boot-log").textContent(), /^Zone ranges:\n {2}DMA {6}\[mem 0x0000000000001000-0x0000000000ffffff\]/);
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
  assert.equal(r[0].pfns, "1–4095");
  await screenshot("zones-zh");
});

test("zones: the four-node machine's fallback orders rotate 0123/1230/2301/3012, as the boot log prints and the model computes in Node", async ({ page, goto, screenshot }) => {
  await goto("/zones.html");
  await page.selectOption("#machine-select", "numa4");
  await page.locator('#zones-table tr[data-zone="3-DMA32"]').waitFor();
  const seen = await nodeView(page);
  const want = nodeModel({ machines: ["numa4"] }).machines.numa4;
  assert.deepEqual(seen, expectedNodeView(want, EN));
  // build_zonelists in 6.18: all remote distances 20, one CPU per node
  assert.deepEqual(seen.nodes, [
    { nid: 0, cpus: "0", distance: "10 20 20 20", order: "0 → 1 → 2 → 3" },
    { nid: 1, cpus: "1", distance: "20 10 20 20", order: "1 → 2 → 3 → 0" },
    { nid: 2, cpus: "2", distance: "20 20 10 20", order: "2 → 3 → 0 → 1" },
    { nid: 3, cpus: "3", distance: "20 20 20 10", order: "3 → 0 → 1 → 2" },
  ]);
  // pr_cont("%d ") leaves a trailing space on each line
  assert.equal(seen.fallbackLog, [
    "Fallback order for Node 0: 0 1 2 3 ",
    "Fallback order for Node 1: 1 2 3 0 ",
    "Fallback order for Node 2: 2 3 0 1 ",
    "Fallback order for Node 3: 3 0 1 2 ",
  ].join("\n"));
  // the boot log prints them right before "Built 4 zonelists"
  assert.ok(seen.bootLog.includes(`${seen.fallbackLog}\nBuilt 4 zonelists, mobility grouping on.  Total pages: `), seen.bootLog);
  // each node's fallback zonelist visits the nodes in that order
  for (const n of want.nodes) {
    const nids = [...new Set(want.zonelists[n.nid].zones.map((z) => Number(/^Node (\d+) /.exec(z)[1])))];
    assert.deepEqual(nids, n.fallback, `node ${n.nid}`);
  }
  await page.locator("#node-fallback").scrollIntoViewIfNeeded();
  await screenshot("zones-numa4-en");
});

test("zones: every machine's node table, fallback lines, zonelists and boot log are what the model computes in Node", async ({ page, goto }) => {
  await goto("/zones.html");
  const ids = await page.locator("#machine-select option").evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(ids, ["default", "numa", "numa4", "i386"]);
  const want = nodeModel({ machines: ids }).machines;
  for (const id of ids) {
    if (id !== "default") await page.selectOption("#machine-select", id);
    await page.waitForFunction((n) => document.querySelectorAll("#node-fallback tbody tr").length === n, want[id].nodes.length);
    await page.waitForFunction((line) => document.querySelector("#fallback-log")?.textContent === line, want[id].fallbackLog.join("\n"));
    assert.deepEqual(await nodeView(page), expectedNodeView(want[id], EN), id);
  }
  assert.deepEqual(want.numa.fallbackLog, ["Fallback order for Node 0: 0 1 ", "Fallback order for Node 1: 1 0 "]);
  assert.deepEqual(want.default.fallbackLog, ["Fallback order for Node 0: 0 "]);
});

test("zones: the node_load example (two sockets) is the order the physical layer builds, with node_load as build_zonelists adds it", async ({ page, goto }) => {
  for (const locale of ["", "/zh"]) {
    await goto(`${locale}/zones.html`);
    const rows = await nodeLoadExample(page);
    assert.equal(rows.length, 4, locale);
    assert.deepEqual(rows.map((r) => r.distance), TWO_SOCKETS, locale);
    const { example } = nodeModel({ distance: TWO_SOCKETS });
    assert.deepEqual(rows.map((r) => `Fallback order for Node ${r.nid}: ${r.order.map((n) => `${n} `).join("")}`), example, locale);
    assert.deepEqual(example, ["Fallback order for Node 0: 0 1 2 3 ", "Fallback order for Node 1: 1 0 3 2 ", "Fallback order for Node 2: 2 3 0 1 ", "Fallback order for Node 3: 3 2 1 0 "]);
    // node_load[]: zeroed once, +1 for the first node of each new distance group a build appends
    const load = [0, 0, 0, 0];
    for (const r of rows) {
      let prev = r.nid;
      for (const n of r.order) {
        if (TWO_SOCKETS[r.nid][n] !== TWO_SOCKETS[r.nid][prev]) load[n] += 1;
        prev = n;
      }
      assert.deepEqual(r.load, load, `${locale} node_load after node ${r.nid}`);
    }
  }
});

test("zones (zh): the Chinese page shows the four-node machine's fallback table and boot lines", async ({ page, goto, screenshot }) => {
  await goto("/zh/zones.html");
  await page.selectOption("#machine-select", "numa4");
  await page.locator('#zones-table tr[data-zone="3-DMA32"]').waitFor();
  assert.match(await page.locator("#machine-select option[value=numa4]").textContent(), /4 个 NUMA 节点/);
  assert.equal((await page.locator("#node-fallback th").nth(3).textContent()).trim(), "回退节点顺序");
  const want = nodeModel({ machines: ["numa4"] }).machines.numa4;
  assert.deepEqual(await nodeView(page), expectedNodeView(want, ZH));
  await screenshot("zones-numa4-zh");
});
