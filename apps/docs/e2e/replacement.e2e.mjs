// The live page-replacement page: Belady's anomaly (FIFO 9 misses with 3 frames, 10 with 4),
// the Silberschatz string (FIFO 15, LRU 12, OPT 9 at 3 frames), the frames after given steps,
// the clock hand and use bits, the comparison table, bad input, both locales, the lru-linux
// link, and the browser showing exactly what the model computes in Node.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SILBERSCHATZ = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];

async function setup(page, { policy, frames, preset }) {
  await page.selectOption("#policy-select", policy);
  await page.fill("#frames-input", String(frames));
  if (preset) await page.click(`#preset-${preset}`);
}

/** Steps to the end of the string (the button is disabled when already there: a policy or frame
 * change keeps the position). */
async function toEnd(page) {
  if (await page.isEnabled("#step-last")) await page.click("#step-last");
}

/** Moves the step slider to reference j (0: before the first). */
async function goStep(page, j) {
  await page.locator("#step-range").fill(String(j));
  assert.equal(await page.getAttribute("#step-pos", "data-pos"), String(j));
}

async function misses(page) {
  return Number(await page.getAttribute("#miss-count", "data-misses"));
}

/** Page per frame (-1 empty) in the grid column of step j (1-based). */
async function column(page, j) {
  return page.$$eval(`#frames-grid .frame-row td:nth-child(${j + 1})`, (tds) => tds.map((td) => (td.dataset.page === "" ? null : Number(td.dataset.page))));
}

async function results(page) {
  return (await page.$$eval("#frames-grid .result-row td", (tds) => tds.map((td) => td.textContent.trim()))).join("");
}

test("replacement: Belady's anomaly, FIFO misses 9 times with 3 frames and 10 with 4", async ({ page, goto, screenshot }) => {
  await goto("/page-replacement.html");
  await setup(page, { policy: "fifo", frames: 3, preset: "belady" });
  assert.equal(await misses(page), 0);
  // step to reference 7 (page 5): FIFO evicts page 4, loaded before 1 and 2 came back
  await goStep(page, 7);
  assert.equal(await page.getAttribute("#step-pos", "data-pos"), "7");
  assert.deepEqual(await column(page, 7), [5, 1, 2]);
  assert.match(await page.locator("#step-detail").innerText(), /^Reference 7 is page 5: a cold miss, loaded into frame 0, evicting page 4\./);
  assert.equal(await misses(page), 7);
  // the step buttons: reference 8 (page 1) hits; back to 7; back to the start
  await page.click("#step-next");
  assert.equal(await page.getAttribute("#step-pos", "data-pos"), "8");
  assert.deepEqual(await column(page, 8), [5, 1, 2]);
  assert.equal(await results(page), "MMMMMMMH");
  await page.click("#step-prev");
  assert.equal(await misses(page), 7);
  await page.click("#step-first");
  assert.equal(await misses(page), 0);
  assert.equal(await results(page), "");
  await toEnd(page);
  assert.equal(await misses(page), 9);
  assert.equal(await results(page), "MMMMMMMHHMMH");
  assert.match(await page.locator("#miss-count").innerText(), /^Misses: 9 of 12 references \(5 cold\) · hits: 3$/);
  await screenshot("replacement-belady-3");
  // 4 frames: reference 7 evicts page 1, needed next
  await page.fill("#frames-input", "4");
  await goStep(page, 7);
  assert.deepEqual(await column(page, 7), [5, 2, 3, 4]);
  await toEnd(page);
  assert.equal(await misses(page), 10);
  assert.equal(await results(page), "MMMMHHMMMMMM");
  // the table marks FIFO's cell at 4 frames (10 > 9) as an anomaly, LRU's never
  const fifo = await page.$$eval('#miss-table tr[data-policy="fifo"] td', (tds) => tds.map((td) => `${td.textContent}${td.classList.contains("anomaly") ? "!" : ""}`));
  assert.deepEqual(fifo, ["12", "12", "9", "10!", "5", "5", "5", "5"]);
  const lru = await page.$$eval('#miss-table tr[data-policy="lru"] td', (tds) => tds.map((td) => `${td.textContent}${td.classList.contains("anomaly") ? "!" : ""}`));
  assert.deepEqual(lru, ["12", "12", "10", "8", "5", "5", "5", "5"]);
});

test("replacement: the Silberschatz string at 3 frames, FIFO 15, LRU 12, OPT 9 misses", async ({ page, goto, screenshot }) => {
  await goto("/page-replacement.html");
  await setup(page, { policy: "fifo", frames: 3, preset: "silberschatz" });
  assert.equal(await page.inputValue("#refs-input"), SILBERSCHATZ.join(" "));
  const want = { fifo: [15, "MMMMHMMMMMMHHMMHHMMM", [7, 0, 1]], lru: [12, "MMMMHMHMMMMHHMHMHMHH", [1, 0, 7]], opt: [9, "MMMMHMHMHHMHHMHHHMHH", [7, 0, 1]] };
  for (const [policy, [n, hm, last]] of Object.entries(want)) {
    await page.selectOption("#policy-select", policy);
    await toEnd(page);
    assert.equal(await misses(page), n, policy);
    assert.equal(await results(page), hm, policy);
    assert.deepEqual(await column(page, 20), last, policy);
  }
  // OPT at reference 6 (page 3) evicts page 1 (next used at reference 14, after 2 at 9 and 0 at 7)
  await goStep(page, 6);
  assert.deepEqual(await column(page, 6), [2, 0, 3]);
  assert.match(await page.locator("#step-detail").innerText(), /page 2: next used at reference 9 · page 0: next used at reference 7 · page 3: next used at reference 10/);
  await screenshot("replacement-opt");
});

test("replacement: CLOCK draws the hand and use bits; the textbook use bit changes the count; bad strings are refused", async ({ page, goto, screenshot }) => {
  await goto("/page-replacement.html");
  await setup(page, { policy: "clock", frames: 3, preset: "silberschatz" });
  await toEnd(page);
  assert.equal(await misses(page), 11);
  await page.check("#clock-use1");
  await toEnd(page);
  assert.equal(await misses(page), 14);
  // textbook clock after reference 5 (page 0, a hit): 2 0 1, use bits 1 1 0, hand at frame 1
  await goStep(page, 5);
  assert.deepEqual(await column(page, 5), [2, 0, 1]);
  const cells = await page.$$eval("#frames-grid .frame-row td:nth-child(6)", (tds) => tds.map((td) => td.textContent.replace(/\s+/g, "")));
  assert.deepEqual(cells, ["21", "01◂", "10"]);
  assert.match(await page.locator("#step-detail").innerText(), /a hit in frame 1\. The clock hand points at frame 1\./);
  await screenshot("replacement-clock");
  // bad reference strings are reported, not run
  await page.fill("#refs-input", "1 2 x");
  assert.equal((await page.locator("#refs-error").innerText()).trim(), '"x" is not a page number from 0 to 999');
  await page.fill("#refs-input", "3 1000");
  assert.match(await page.locator("#refs-error").innerText(), /"1000" is not a page number/);
  await page.fill("#refs-input", "4, 4, 5");
  assert.equal(await page.locator("#refs-error").count(), 0);
  await toEnd(page);
  assert.equal(await misses(page), 2);
});

test("replacement: the browser shows what the model computes in Node, for every policy", async ({ page, goto }) => {
  const refs = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5];
  const reqs = ["fifo", "lru", "clock", "opt", "arc", "2q", "lru-linux", "s3fifo", "sieve"].map((policy, k) => ({ policy, frames: 3 + (k % 4), refs }));
  // also: the model's textbook FIFO/LRU/CLOCK/OPT agree with @mmsim/replay step by step on 4 random strings
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-replacement.ts", JSON.stringify({ runs: reqs, check: 4 })], { cwd: DOCS, encoding: "utf8" });
  assert.equal(node.status, 0, `node-replacement.ts failed: ${node.stderr}`);
  const { runs: want, checked } = JSON.parse(node.stdout);
  assert.equal(checked, 4 * 9 * 8);
  await goto("/page-replacement.html");
  await page.fill("#refs-input", refs.join(" "));
  for (let k = 0; k < reqs.length; k++) {
    await setup(page, reqs[k]);
    await toEnd(page);
    assert.equal(await misses(page), want[k].misses, reqs[k].policy);
    const grid = await page.$$eval("#frames-grid .frame-row", (rows) => rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => Number(td.dataset.page))));
    const wantGrid = Array.from({ length: reqs[k].frames }, (_, f) => want[k].steps.map((s) => s.slots[f]));
    assert.deepEqual(grid, wantGrid, reqs[k].policy);
    assert.equal(await results(page), want[k].steps.map((s) => (s.hit ? "H" : "M")).join(""), reqs[k].policy);
  }
});

test("replacement: the Chinese page, and the lru-linux link selects that policy", async ({ page, goto, screenshot }) => {
  await goto("/zh/page-replacement.html");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await setup(page, { policy: "fifo", frames: 4, preset: "belady" });
  await toEnd(page);
  assert.match(await page.locator("#miss-count").innerText(), /^缺页：12 次引用中 10 次（5 次冷缺页）· 命中：2$/);
  await screenshot("replacement-zh");
  await page.click("#try-lru-linux");
  await page.waitForURL(/policy=lru-linux/);
  await page.locator("#frames-grid").waitFor();
  assert.equal(await page.inputValue("#policy-select"), "lru-linux");
  assert.deepEqual(await page.$$eval("#miss-table tr[data-policy] th", (ths) => ths.map((t) => t.textContent)), ["fifo", "lru", "clock", "opt", "arc", "2q", "lru-linux", "s3fifo", "sieve"]);
});

