// The live address-space page: task "app" of a 256 MiB one-CPU kernel, its /proc/app/maps and
// smaps numbers after mmap/mprotect/munmap/brk/store clicks (mm/vma.c splits and merges, top-down
// get_unmapped_area below mmap_base, the heap at ELF_ET_DYN_BASE), the drawing's fixed rows of
// the x86-64 layout, the page-table pages, both locales, and Node = browser.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The 40 KiB mapping: mmap_base is TASK_SIZE_MAX - 128 MiB (MIN_GAP) = 0x7ffff7fff000, and top-down search puts 40 KiB right below it. */
const BUF = 0x7ffff7ff5000;
/** ELF_ET_DYN_BASE = DEFAULT_MAP_WINDOW / 3 * 2, page-aligned: where spawn puts the break. */
const HEAP = 0x555555554000;

async function ready(page) {
  await page.locator("#as-maps").waitFor();
}

/** Performs one action through the controls, as the model's AsAction describes it. */
async function act(page, a) {
  await page.selectOption("#as-op", a.op);
  if (a.addr !== undefined) await page.fill("#as-addr", "0x" + a.addr.toString(16));
  await page.fill("#as-length", String(a.op === "brk" ? a.deltaKb : a.lengthKb));
  if (a.prot) for (const p of ["read", "write", "exec"]) await page.setChecked(`#as-prot-${p}`, a.prot.includes(p));
  const before = await page.locator("#as-log").textContent();
  await page.click("#as-run");
  await page.waitForFunction((b) => document.querySelector("#as-log")?.textContent !== b, before);
}

async function vmaRows(page) {
  return page.$$eval("#as-vmas tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim()).join(" | ")));
}

test("address space: the initial task shows its heap and one mapping, with smaps Rss/Pss and its tables", async ({ page, goto, screenshot }) => {
  await goto("/address-space.html");
  await ready(page);
  // show_map_vma: "start-end perms offset dev inode", the name padded to column 74 (or one space)
  assert.equal(await page.locator("#as-maps").textContent(),
    "555555554000-555555575000 rw-p 00000000 00:00 0                          [heap]\n" +
    "7ffff7ff5000-7ffff7fff000 rw-p 00000000 00:00 0 \n");
  // nothing is highlighted before the first call
  assert.equal(await page.locator("#as-vmas tr.changed").count(), 0);
  // 132 KiB heap with its first page written; 40 KiB with 8 KiB written: Rss = Pss (one mapper)
  assert.deepEqual(await vmaRows(page), [
    "555555554000-555555575000 | rw-p | [heap] | 132 kB | 4 kB | 4 kB",
    "7ffff7ff5000-7ffff7fff000 | rw-p |  | 40 kB | 8 kB | 8 kB",
  ]);
  // PGD slots 170 (heap) and 255 (mmap area) each need a PUD, a PMD and a PTE table;
  // VmPTE counts those six pages but not the PGD (mm_pgtables_bytes)
  assert.equal(await page.locator("#as-tables").textContent(), "PGD 1 · PUD 2 · PMD 2 · PTE 2");
  assert.equal(await page.locator("#as-vmpte").textContent(), "24 kB");
  // each table page maps 512 entries: a PUD 512 GiB (PGD slot 170 = 0x550000000000), a PMD 1 GiB, a PTE table 2 MiB
  assert.deepEqual(await page.locator("#as-table-pages li").allTextContents(), [
    "PGD table at pfn 14420: maps 0–7fffffffffff (128 TiB)",
    "PUD table at pfn 14422: maps 550000000000–557fffffffff (512 GiB)",
    "PMD table at pfn 14423: maps 555540000000–55557fffffff (1 GiB)",
    "PTE table at pfn 14424: maps 555555400000–5555555fffff (2 MiB)",
    "PUD table at pfn 14427: maps 7f8000000000–7fffffffffff (512 GiB)",
    "PMD table at pfn 14428: maps 7fffc0000000–7fffffffffff (1 GiB)",
    "PTE table at pfn 14429: maps 7ffff7e00000–7ffff7ffffff (2 MiB)",
  ]);
  // the drawing: kernel half, non-canonical hole, guard page under TASK_SIZE_MAX, then the user half top down
  const segs = await page.$$eval("#as-map .seg", (els) => els.map((e) => `${e.dataset.kind} ${e.querySelector(".seg-range").textContent}`));
  assert.deepEqual(segs, [
    "kernel ffff800000000000–ffffffffffffffff",
    "hole 0000800000000000–ffff7fffffffffff",
    "guard 00007ffffffff000–00007fffffffffff",
    "gap 00007ffff7fff000–00007fffffffefff",
    "vma 00007ffff7ff5000–00007ffff7ffefff",
    "gap 0000555555575000–00007ffff7ff4fff",
    "vma 0000555555554000–0000555555574fff",
    "gap 0000000000000000–0000555555553fff",
  ]);
  // the gap above the mappings is the 128 MiB mmap_base leaves for the stack
  assert.match(await page.locator("#as-map .seg").nth(3).textContent(), /· 128 MiB$/);
  await screenshot("address-space-en");
});

test("address space: mprotect splits a VMA, mprotect back merges it, mmap next to it merges, munmap punches a hole", async ({ page, goto }) => {
  await goto("/address-space.html");
  await ready(page);
  await act(page, { op: "mprotect", addr: BUF, lengthKb: 8, prot: ["read"] });
  assert.match(await page.locator("#as-change").textContent(), /^VMAs: 2 → 3 · /);
  assert.equal(await page.locator("#as-maps").textContent(),
    "555555554000-555555575000 rw-p 00000000 00:00 0                          [heap]\n" +
    "7ffff7ff5000-7ffff7ff7000 r--p 00000000 00:00 0 \n" +
    "7ffff7ff7000-7ffff7fff000 rw-p 00000000 00:00 0 \n");
  // both halves are new VMAs (highlighted); the heap is untouched
  assert.deepEqual(await page.$$eval("#as-vmas tbody tr", (trs) => trs.map((tr) => tr.classList.contains("changed"))), [false, true, true]);
  // the written 8 KiB are now in the read-only half
  assert.deepEqual((await vmaRows(page)).slice(1), [
    "7ffff7ff5000-7ffff7ff7000 | r--p |  | 8 kB | 8 kB | 8 kB",
    "7ffff7ff7000-7ffff7fff000 | rw-p |  | 32 kB | 0 kB | 0 kB",
  ]);
  // selftests/mm/merge.c: once the halves agree again, vma_merge_existing_range merges them
  await act(page, { op: "mprotect", addr: BUF, lengthKb: 8, prot: ["read", "write"] });
  assert.match(await page.locator("#as-change").textContent(), /^VMAs: 3 → 2 · /);
  assert.equal((await vmaRows(page))[1], "7ffff7ff5000-7ffff7fff000 | rw-p |  | 40 kB | 8 kB | 8 kB");
  // a new 4 KiB rw mapping lands right below (top down) and merges with it: still 2 VMAs
  await act(page, { op: "mmap", lengthKb: 4, prot: ["read", "write"] });
  assert.match(await page.locator("#as-log").textContent(), /mmap\(NULL, 4096, PROT_READ\|PROT_WRITE, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0\) = 0x7ffff7ff4000$/);
  assert.match(await page.locator("#as-change").textContent(), /^VMAs: 2 → 2 · /);
  assert.equal((await vmaRows(page))[1], "7ffff7ff4000-7ffff7fff000 | rw-p |  | 44 kB | 8 kB | 8 kB");
  // munmap of one page in the middle splits it in two
  await act(page, { op: "munmap", addr: 0x7ffff7ff8000, lengthKb: 4 });
  assert.deepEqual((await vmaRows(page)).slice(1), [
    "7ffff7ff4000-7ffff7ff8000 | rw-p |  | 16 kB | 8 kB | 8 kB",
    "7ffff7ff9000-7ffff7fff000 | rw-p |  | 24 kB | 0 kB | 0 kB",
  ]);
});

test("address space: brk grows the heap in place, a store faults a page in, a new 2 MiB area gets a PTE table, bad input is refused", async ({ page, goto }) => {
  await goto("/address-space.html");
  await ready(page);
  await act(page, { op: "brk", deltaKb: 64 });
  assert.match(await page.locator("#as-log").textContent(), /app: brk\(brk\+0x10000\) = 0x555555585000$/);
  assert.equal((await vmaRows(page))[0], "555555554000-555555585000 | rw-p | [heap] | 196 kB | 4 kB | 4 kB");
  await act(page, { op: "store", addr: HEAP + 0x2c000, lengthKb: 4 });
  assert.equal((await vmaRows(page))[0], "555555554000-555555585000 | rw-p | [heap] | 196 kB | 8 kB | 8 kB");
  // the same PTE table covers the heap's 2 MiB: no new table page
  assert.equal(await page.locator("#as-tables").textContent(), "PGD 1 · PUD 2 · PMD 2 · PTE 2");
  // brk -64 gives the pages back (and the Rss with them)
  await act(page, { op: "brk", deltaKb: -64 });
  assert.equal((await vmaRows(page))[0], "555555554000-555555575000 | rw-p | [heap] | 132 kB | 4 kB | 4 kB");
  // a 2 MiB mapping is placed 2 MiB-aligned (thp_get_unmapped_area) below the others; its first
  // touch needs a PTE table of its own under the same PMD: VmPTE grows by 4 kB
  await act(page, { op: "mmap", lengthKb: 2048, prot: ["read", "write"] });
  assert.match(await page.locator("#as-log").textContent(), /= 0x7ffff7c00000$/);
  await act(page, { op: "store", addr: 0x7ffff7c00000, lengthKb: 4 });
  assert.equal(await page.locator("#as-tables").textContent(), "PGD 1 · PUD 2 · PMD 2 · PTE 3");
  assert.equal(await page.locator("#as-vmpte").textContent(), "28 kB");
  assert.equal((await page.locator("#as-table-pages li").allTextContents())[6], "PTE table at pfn 14430: maps 7ffff7c00000–7ffff7dfffff (2 MiB)");
  // a store outside every VMA kills the task with SIGSEGV, as strace shows it
  await act(page, { op: "store", addr: 0x10000000, lengthKb: 4 });
  assert.match(await page.locator("#as-log").textContent(),
    /--- SIGSEGV \{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10000000\} ---\n\+\+\+ killed by SIGSEGV \+\+\+$/);
  // exit_mmap gave back every page and table page, the pgd included
  assert.equal(await page.locator("#as-tables").textContent(), "PGD 0 · PUD 0 · PMD 0 · PTE 0");
  assert.equal(await page.locator("#as-maps").textContent(), "");
  assert.match(await page.locator("#as-killed").textContent(), /^The task was killed/);
  await page.selectOption("#as-op", "munmap");
  await page.fill("#as-addr", "zz");
  await page.click("#as-run");
  assert.equal(await page.locator("#as-error").textContent(), "Not a hexadecimal user address (up to 12 hex digits).");
});

test("address space (zh): the Chinese page runs the same kernel with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/address-space.html");
  await ready(page);
  assert.equal((await page.locator("#as-run").innerText()).trim(), "执行");
  assert.equal(await page.locator("#as-maps").textContent(),
    "555555554000-555555575000 rw-p 00000000 00:00 0                          [heap]\n" +
    "7ffff7ff5000-7ffff7fff000 rw-p 00000000 00:00 0 \n");
  assert.match(await page.locator("#as-map .seg-hole").textContent(), /非规范地址空洞/);
  await screenshot("address-space-zh");
});

test("address space: the browser renders exactly the view the model computes in Node", async ({ page, goto }) => {
  const actions = [
    { op: "mmap", lengthKb: 2048, prot: ["read"] },
    { op: "mprotect", addr: BUF + 0x4000, lengthKb: 12, prot: ["read", "exec"] },
    { op: "store", addr: BUF + 0x8000, lengthKb: 8 },
    { op: "mmap", lengthKb: 16, prot: ["read", "write"] },
    { op: "munmap", addr: BUF, lengthKb: 4 },
    { op: "brk", deltaKb: 8 },
  ];
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-address-space.ts", JSON.stringify(actions)], {
    cwd: DOCS, encoding: "utf8",
  });
  assert.equal(node.status, 0, `node-address-space.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/address-space.html");
  await ready(page);
  for (const a of actions) await act(page, a);
  assert.equal(await page.locator("#as-maps").textContent(), want.maps);
  assert.deepEqual(await vmaRows(page), want.vmas.map((v) =>
    `${v.start.toString(16)}-${v.end.toString(16)} | ${v.perms} | ${v.name} | ${v.sizeKb} kB | ${v.rssKb} kB | ${v.pssKb} kB`));
  assert.equal(await page.locator("#as-tables").textContent(), `PGD ${want.tables.pgd} · PUD ${want.tables.pud} · PMD ${want.tables.pmd} · PTE ${want.tables.pte}`);
  assert.equal(await page.locator("#as-vmpte").textContent(), want.vmPte);
  assert.deepEqual(await page.$$eval("#as-vmas tbody tr", (trs) => trs.flatMap((tr, i) => (tr.classList.contains("changed") ? [i] : []))), want.changed);
  assert.deepEqual((await page.locator("#as-table-pages li").allTextContents()).map((t) => t.replace(/ \([^)]*\)$/, "")),
    want.tables.pages.map((p) => `${p.level} table at pfn ${p.pfn}: maps ${p.first.toString(16)}–${p.last.toString(16)}`));
  assert.equal(await page.locator("#as-log").textContent(), want.log.map((l) => l.command + (l.output ? " " + l.output.trimEnd() : "")).join("\n"));
  const segs = await page.$$eval("#as-map .seg", (els) => els.map((e) => `${e.dataset.kind} ${e.querySelector(".seg-range").textContent} ${e.style.minHeight}`));
  assert.deepEqual(segs, want.segments.map((s) => `${s.kind} ${s.first}–${s.last} ${s.height}px`));
});
