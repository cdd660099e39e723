// The live x86-64 page-walk page: exact indices, entry addresses, entry values and flags for
// fixed addresses, derived by hand from the x86-64 format (Intel SDM vol. 3A §4.5) and the
// demo tree's allocation order (tables handed out from pfn 0x2000 upwards, in the order of
// DEMO_MAPPINGS: text, data, THP, stack, direct map, kernel image); TLB miss then hit; faults;
// both locales; and the same views as the model computes in Node.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Table entries as the page prints them: _PAGE_TABLE (user) = P|RW|US|A|D = 0x67, _KERNPG_TABLE = 0x63. */
const USER_TABLE_FLAGS = "P RW US A D";
const KERNEL_TABLE_FLAGS = "P RW A D";

async function walk(page, va, { levels = 4, access = "read" } = {}) {
  await page.selectOption("#levels-select", String(levels));
  await page.selectOption("#access-select", access);
  await page.fill("#va-input", va);
  await page.click("#walk-button");
  await page.locator("#walk-header, #walk-error").first().waitFor();
  return readView(page);
}

/** Everything the page shows for the current walk, as plain text. */
async function readView(page) {
  return page.evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.textContent?.replace(/\s+/g, " ").trim() ?? null;
    const rows = [...document.querySelectorAll("#walk-steps tr.step")].map((tr) => {
      const cell = (c) => tr.querySelector(c)?.textContent?.replace(/\s+/g, " ").trim() ?? "";
      return {
        level: tr.dataset.level,
        bits: cell(".step-bits"),
        index: cell(".step-index"),
        entryPa: cell(".step-entry-pa"),
        entry: cell(".step-entry"),
        flags: cell(".step-flags"),
        next: cell(".step-next"),
        kind: tr.querySelector(".step-next")?.getAttribute("data-kind") ?? "",
      };
    });
    return {
      header: text("#walk-header"),
      rows,
      result: text("#walk-result"),
      access1: document.querySelector("#tlb-access-1")?.getAttribute("data-hit"),
      access1Text: text("#tlb-access-1"),
      access2: document.querySelector("#tlb-access-2")?.getAttribute("data-hit"),
      access2Text: text("#tlb-access-2"),
      counters: text("#tlb-counters"),
      tlbEntries: [...document.querySelectorAll("#tlb-entries li")].map((li) => li.textContent.trim()),
      error: text("#walk-error"),
    };
  });
}

function row(level, bits, index, entryPa, entry, flags, next) {
  return { level, bits, index: String(index), entryPa, entry, flags, next };
}

function stripKind(rows) {
  return rows.map(({ kind: _kind, ...r }) => r);
}

test("page walk: 4-level walk of the stack address 0x7ffffffde123 shows every level exactly", async ({ page, goto, screenshot }) => {
  await goto("/page-walk.html");
  await page.locator("#walk-steps").waitFor();
  const v = await walk(page, "0x7ffffffde123");
  assert.equal(v.header, "VA 0x00007ffffffde123 · CR3 = 0x000002000000 · user mode (lower half)");
  assert.deepEqual(stripKind(v.rows), [
    row("PGD", "VA[47:39]", 255, "0x0000020007f8", "0000000002006067", USER_TABLE_FLAGS, "next table 0x000002006000"),
    row("PUD", "VA[38:30]", 511, "0x000002006ff8", "0000000002007067", USER_TABLE_FLAGS, "next table 0x000002007000"),
    row("PMD", "VA[29:21]", 511, "0x000002007ff8", "0000000002008067", USER_TABLE_FLAGS, "next table 0x000002008000"),
    // PAGE_SHARED = P|RW|US|A (0x27) + NX (bit 63)
    row("PTE", "VA[20:12]", 478, "0x000002008ef0", "800000005b0d6027", "P RW US A NX", "page 0x00005b0d6000"),
    row("offset", "VA[11:0]", "0x123", "", "", "", ""),
  ]);
  assert.equal(v.result, "Result: physical address 0x00005b0d6123 (in a 4 KiB page)");
  const fields = await page.$$eval("#va-split .field", (els) => els.map((e) => [e.dataset.field, e.querySelector(".fbits").textContent, e.querySelector(".fval").textContent]));
  assert.deepEqual(fields, [
    ["sign", "0000000000000000", "0x0"],
    ["PGD", "011111111", "255"],
    ["PUD", "111111111", "511"],
    ["PMD", "111111111", "511"],
    ["PTE", "111011110", "478"],
    ["offset", "000100100011", "0x123"],
  ]);
  await screenshot("page-walk-en");
});

test("page walk: first access misses the TLB and walks 4 entries, the second hits, with counters", async ({ page, goto }) => {
  await goto("/page-walk.html");
  const v = await walk(page, "7ffffffde123");
  assert.equal(v.access1, "miss");
  assert.equal(v.access1Text, "access 1: TLB miss, page walk, 4 entries read → 0x00005b0d6123");
  assert.equal(v.access2, "hit");
  assert.equal(v.access2Text, "access 2: TLB hit, no walk → 0x00005b0d6123");
  // 4 entries × 25 cycles (PAGE_WALK_LEVEL_CYCLES) + 1 cycle for the hit (TLB_HIT_CYCLES)
  assert.equal(v.counters, "counters: dTLB hits=1 misses=1 page_walks=1 page_faults=0 cycles=101");
  // the one TLB entry the first access filled: PAGE_SHARED leaf → user, writable, no-execute, not yet dirty
  assert.deepEqual(await page.locator("#tlb-entries li").allTextContents(), [
    "4 KiB: VA 0x00007ffffffde000 → PA 0x00005b0d6000 pcid 0 user rw nx",
  ]);
});

test("page walk: a 2 MiB PMD leaf (PS) ends the walk at the PMD with a 21-bit offset", async ({ page, goto }) => {
  await goto("/page-walk.html");
  const v = await walk(page, "0x7f0000212345");
  assert.deepEqual(stripKind(v.rows), [
    row("PGD", "VA[47:39]", 254, "0x0000020007f0", "0000000002004067", USER_TABLE_FLAGS, "next table 0x000002004000"),
    row("PUD", "VA[38:30]", 0, "0x000002004000", "0000000002005067", USER_TABLE_FLAGS, "next table 0x000002005000"),
    // 0x5e400000 | PS (0x80) | P|RW|US|A (0x27), NX
    row("PMD", "VA[29:21]", 1, "0x000002005008", "800000005e4000a7", "P RW US A PS NX", "page 0x00005e400000"),
    row("offset", "VA[20:0]", "0x12345", "", "", "", ""),
  ]);
  assert.equal(v.result, "Result: physical address 0x00005e412345 (in a 2 MiB page)");
  assert.equal(v.counters, "counters: dTLB hits=1 misses=1 page_walks=1 page_faults=0 cycles=76");
});

test("page walk: the 1 GiB direct-map leaf at ffff888000000000 is a kernel (supervisor) PUD leaf", async ({ page, goto }) => {
  await goto("/page-walk.html");
  const v = await walk(page, "ffff888012345678");
  assert.equal(v.header, "VA 0xffff888012345678 · CR3 = 0x000002000000 · kernel mode (upper half)");
  assert.deepEqual(stripKind(v.rows), [
    row("PGD", "VA[47:39]", 273, "0x000002000888", "0000000002009063", KERNEL_TABLE_FLAGS, "next table 0x000002009000"),
    // PAGE_KERNEL = P|RW|A|D|G (0x163) + PS (0x80), NX; physical address 0
    row("PUD", "VA[38:30]", 0, "0x000002009000", "80000000000001e3", "P RW A D PS G NX", "page 0x000000000000"),
    row("offset", "VA[29:0]", "0x12345678", "", "", "", ""),
  ]);
  assert.equal(v.result, "Result: physical address 0x000012345678 (in a 1 GiB page)");
  // PAGE_KERNEL sets D and G: the cached translation is global and already dirty
  assert.deepEqual(await page.locator("#tlb-entries li").allTextContents(), [
    "1 GiB: VA 0xffff888000000000 → PA 0x000000000000 pcid 0 kernel rw nx global dirty",
  ]);
});

test("page walk: 5-level paging walks PGD VA[56:48] → P4D → PUD for ff11000012345678", async ({ page, goto }) => {
  await goto("/page-walk.html");
  const v = await walk(page, "ff11000012345678", { levels: 5 });
  // 5-level tables in allocation order: root 0x2000; text P4D 0x2001 PUD 0x2002 PMD 0x2003 PTE 0x2004;
  // THP PUD 0x2005 PMD 0x2006; stack PUD 0x2007 PMD 0x2008 PTE 0x2009; direct map P4D 0x200a PUD 0x200b.
  assert.deepEqual(stripKind(v.rows), [
    row("PGD", "VA[56:48]", 273, "0x000002000888", "000000000200a063", KERNEL_TABLE_FLAGS, "next table 0x00000200a000"),
    row("P4D", "VA[47:39]", 0, "0x00000200a000", "000000000200b063", KERNEL_TABLE_FLAGS, "next table 0x00000200b000"),
    row("PUD", "VA[38:30]", 0, "0x00000200b000", "80000000000001e3", "P RW A D PS G NX", "page 0x000000000000"),
    row("offset", "VA[29:0]", "0x12345678", "", "", "", ""),
  ]);
  assert.equal(v.result, "Result: physical address 0x000012345678 (in a 1 GiB page)");
  const s = await walk(page, "0x7ffffffde123", { levels: 5 });
  assert.deepEqual(s.rows.map((r) => `${r.level} ${r.bits} ${r.index}`), [
    "PGD VA[56:48] 0", "P4D VA[47:39] 255", "PUD VA[38:30] 511", "PMD VA[29:21] 511", "PTE VA[20:12] 478", "offset VA[11:0] 0x123",
  ]);
  assert.equal(s.counters, "counters: dTLB hits=1 misses=1 page_walks=1 page_faults=0 cycles=126");
});

test("page walk: an unmapped address stops at the empty PGD entry with a not-present fault, twice", async ({ page, goto }) => {
  await goto("/page-walk.html");
  const v = await walk(page, "0x123456789000");
  assert.deepEqual(v.rows.map((r) => [r.level, r.index, r.entryPa, r.entry, r.flags, r.kind]), [
    ["PGD", "36", "0x000002000120", "0000000000000000", "—", "none"],
  ]);
  assert.equal(v.result, "Result: page fault — #PF: user read access in user mode; #PF: error_code(0x0004) - not-present page");
  assert.equal(v.access1, "miss");
  assert.equal(v.access2, "miss");
  // a failed walk fills nothing: both accesses walk (1 entry, 25 cycles) and fault (600 cycles)
  assert.equal(v.counters, "counters: dTLB hits=0 misses=2 page_walks=2 page_faults=2 cycles=1250");
  assert.deepEqual(await page.locator("#tlb-entries li").allTextContents(), ["TLB: no entry (a failed walk fills nothing)"]);
});

test("page walk: writing the read-only text page and executing the NX stack are permission faults", async ({ page, goto }) => {
  await goto("/page-walk.html");
  const w = await walk(page, "0x555555554010", { access: "write" });
  assert.deepEqual(w.rows.map((r) => `${r.level} ${r.index} ${r.entry}`), [
    "PGD 170 0000000002001067", "PUD 341 0000000002002067", "PMD 170 0000000002003067",
    // PAGE_READONLY_EXEC = P|US|A (0x25), no NX
    "PTE 340 000000007a3c1025",
  ]);
  assert.equal(w.result, "Result: page fault — #PF: user write access in user mode; #PF: error_code(0x0007) - permissions violation");
  const x = await walk(page, "0x7ffffffde123", { access: "exec" });
  assert.equal(x.result, "Result: page fault — #PF: user instruction fetch in user mode; #PF: error_code(0x0015) - permissions violation");
  assert.equal(x.counters, "counters: iTLB hits=0 misses=2 page_walks=2 page_faults=2 cycles=1400");
  const ok = await walk(page, "0x555555554010", { access: "exec" });
  assert.equal(ok.result, "Result: physical address 0x00007a3c1010 (in a 4 KiB page)");
});

test("page walk: a non-canonical address is rejected with an explanation, and is valid with 5 levels", async ({ page, goto }) => {
  await goto("/page-walk.html");
  const v = await walk(page, "0x800000000000");
  assert.equal(v.error, "Not a canonical 48-bit address: bits 63..47 must all equal bit 47.");
  assert.equal(v.rows.length, 0);
  const bad = await walk(page, "0xfoo");
  assert.equal(bad.error, "Not a hexadecimal address (up to 16 hex digits, optional 0x).");
  const five = await walk(page, "0x800000000000", { levels: 5 });
  assert.equal(five.error, null);
  assert.deepEqual(five.rows.map((r) => `${r.level} ${r.index} ${r.kind}`), ["PGD 0 table", "P4D 256 none"]);
});

test("page walk: clicking a mapped address of the list walks it", async ({ page, goto }) => {
  await goto("/page-walk.html");
  await page.locator(".demo-va", { hasText: "0xffffffff81000000" }).click();
  await page.locator("#walk-header").waitFor();
  const v = await readView(page);
  assert.equal(await page.inputValue("#va-input"), "0xffffffff81000000");
  // 4-level kernel image: PGD 511 → PUD 510 → PMD 8 (2 MiB leaf, PAGE_KERNEL_ROX = P|A|G + PS = 0x1a1)
  assert.deepEqual(v.rows.map((r) => `${r.level} ${r.index} ${r.entry} ${r.flags}`), [
    "PGD 511 000000000200a063 P RW A D", "PUD 510 000000000200b063 P RW A D", "PMD 8 00000000010001a1 P A PS G",
    "offset 0x0  ",
  ]);
});

test("page walk (zh): the Chinese page runs the same walk with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/page-walk.html");
  assert.equal((await page.locator("#walk-button").innerText()).trim(), "遍历");
  const v = await walk(page, "0x7ffffffde123");
  assert.equal(v.header, "VA 0x00007ffffffde123 · CR3 = 0x000002000000 · 用户态（低半部）");
  assert.deepEqual(v.rows.map((r) => `${r.level} ${r.index} ${r.entryPa} ${r.entry}`), [
    "PGD 255 0x0000020007f8 0000000002006067", "PUD 511 0x000002006ff8 0000000002007067",
    "PMD 511 0x000002007ff8 0000000002008067", "PTE 478 0x000002008ef0 800000005b0d6027", "offset 0x123  ",
  ]);
  assert.equal(v.access1Text, "第 1 次访问: TLB 未命中, 遍历页表，读了 4 个表项 → 0x00005b0d6123");
  assert.equal(v.access2Text, "第 2 次访问: TLB 命中, 无需遍历 → 0x00005b0d6123");
  await screenshot("page-walk-zh");
});

test("page walk: the browser renders exactly the views the model computes in Node", async ({ page, goto }) => {
  const cases = [];
  for (const levels of [4, 5]) {
    for (const va of ["0x555555554abc", "0x555555555008", "0x7f00003fffff", "0x7ffffffdefff", "0xffffffff811fffff", "0x7f1234567000"]) {
      for (const access of ["read", "write", "exec"]) cases.push({ va, levels, access });
    }
  }
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-page-walk.ts", JSON.stringify(cases)], {
    cwd: DOCS, encoding: "utf8",
  });
  assert.equal(node.status, 0, `node-page-walk.ts failed: ${node.stderr}`);
  const views = JSON.parse(node.stdout);
  await goto("/page-walk.html");
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const got = await walk(page, c.va, c);
    const want = views[i];
    const label = `${c.va} ${c.levels}-level ${c.access}`;
    const wantRows = want.steps.map((s) => [s.name, s.bits, String(s.index), s.entryPa, s.entry, s.flags.join(" ") || "—", s.kind]);
    if (want.ok) wantRows.push(["offset", want.offsetBits, want.offset, "", "", "", ""]);
    assert.deepEqual(got.rows.map((r) => [r.level, r.bits, r.index, r.entryPa, r.entry, r.flags, r.kind]), wantRows, label);
    assert.match(got.result, new RegExp(want.ok ? want.pa : want.fault[1].replace(/[()]/g, "\\$&")), label);
    const k = want.access === "exec" ? "iTLB" : "dTLB";
    const cv = want.counters;
    assert.equal(got.counters, `counters: ${k} hits=${cv.tlbHits} misses=${cv.tlbMisses} page_walks=${cv.pageWalks} page_faults=${cv.pageFaults} cycles=${cv.cycles}`, label);
    assert.deepEqual(got.tlbEntries, want.tlbEntries.length ? want.tlbEntries : ["TLB: no entry (a failed walk fills nothing)"], label);
  }
});
