// The live page-fault page: the kernel's built-in fault process and explainFault, clicked through:
// the x86 error code (P/W/U/RSVD/I) and CR2, find_vma and access_error, the PUD/PMD/PTE tables the
// first touch allocates (__handle_mm_fault), do_anonymous_page's zero page and new page, do_wp_page
// on the zero page and after fork, SIGSEGV with SEGV_MAPERR / SEGV_ACCERR, the counters moved,
// bad input, both locales, and Node = browser (the `mmsim fault` text included).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "./harness.mjs";

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function ready(page) {
  await page.locator("#pf-regions").waitFor();
}

/** Types an address, picks the access, presses Access, and waits for the narration. */
async function fault(page, va, access) {
  await page.fill("#pf-addr", va);
  await page.selectOption("#pf-access", access);
  const before = await page.locator("#pf-text").count() ? await page.locator("#pf-text").textContent() : "";
  await page.click("#pf-run");
  await page.waitForFunction((b) => { const e = document.querySelector("#pf-text"); return e !== null && e.textContent !== b; }, before);
}

async function levels(page) {
  return page.$$eval(".pf-levels tbody tr", (trs) => trs.map((tr) => `${tr.dataset.state}: ${[...tr.querySelectorAll("td")].map((td) => td.textContent.trim()).join(" | ")}`));
}

async function counters(page) {
  return page.locator("#pf-counters li").allTextContents();
}

test("page fault: the first write to a fresh area allocates PUD, PMD and PTE tables, then do_anonymous_page", async ({ page, goto, screenshot }) => {
  await goto("/page-fault.html");
  await ready(page);
  await fault(page, "0x7f1234560000", "write");
  // a user write to a not-present page: W and U set, P clear (arch/x86/include/asm/trap_pf.h)
  assert.equal(await page.locator(".pf-code").textContent(), "error code 0x6: P=0 W=1 U=1 RSVD=0 I=0");
  assert.equal(await page.locator(".pf-round pre").first().textContent(), "#PF: user write access in user mode\n#PF: error_code(0x0006) - not-present page");
  // PGD slot 254 is empty: the MMU's walk read one entry
  assert.deepEqual(await page.locator(".pf-hw li").allTextContents(), ["PGD 254 0000000000000000 []"]);
  assert.equal(await page.locator(".pf-vma").textContent(), "7f1234560000-7f1234570000 rw-p 00000000 00:00 0");
  assert.equal(await page.locator(".pf-accerr").textContent(), "access_error: no, the VMA allows this access");
  // indices: 0x7f1234560000 >> 39 & 511 = 254, >> 30 & 511 = 72, >> 21 & 511 = 418, >> 12 & 511 = 352
  assert.deepEqual(await levels(page), [
    "allocated: PGD | 254 | 0000000000000000 | 000000000385e067 | was empty: a new table page at pfn 14430 [P RW US A D]",
    "allocated: PUD | 72 | 0000000000000000 | 000000000385f067 | was empty: a new table page at pfn 14431 [P RW US A D]",
    "allocated: PMD | 418 | 0000000000000000 | 0000000003860067 | was empty: a new table page at pfn 14432 [P RW US A D]",
    "leaf: PTE | 352 | 0000000000000000 | 8000000002ffd067 | PTE written: pfn 12285 [P RW US A D NX]",
  ]);
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "anonymous");
  // the mapping's first page: anon_vma_prepare runs in do_anonymous_page
  assert.equal(await page.locator(".pf-anonvma").count(), 1);
  assert.equal(await page.locator("#pf-result").textContent(), "physical address 0x2ffd000 (pfn 12285) · leaf flags [P RW US A D NX]");
  // one fault, three table pages (12 kB of PageTables), one anonymous page
  assert.deepEqual(await counters(page), ["pgfault: 2 → 3", "nr_page_table_pages: 7 → 10", "PageTables: 28 kB → 40 kB", "RssAnon: 8 kB → 12 kB"]);
  await screenshot("page-fault-en");
});

test("page fault: a read maps the zero page, the write after it is do_wp_page, the third access does not fault", async ({ page, goto }) => {
  await goto("/page-fault.html");
  await ready(page);
  await fault(page, "0x7f1234561000", "read");
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "zero-page");
  // the zero page is mapped read-only and _PAGE_SPECIAL: no RW, no Rss
  assert.match(await page.locator("#pf-result").textContent(), /leaf flags \[P US A SPECIAL NX\]$/);
  assert.deepEqual((await counters(page)).slice(-1), ["RssAnon: 8 kB → 8 kB"]);
  await fault(page, "0x7f1234561000", "write");
  // present but read-only: P set in the error code
  assert.equal(await page.locator(".pf-code").textContent(), "error code 0x7: P=1 W=1 U=1 RSVD=0 I=0");
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "wp-copy-zero");
  assert.deepEqual((await counters(page)).slice(-1), ["RssAnon: 8 kB → 12 kB"]);
  await fault(page, "0x7f1234561008", "write");
  assert.equal(await page.locator("#pf-nofault").textContent(), "No page fault: the page is present and the PTE allows the access (the TLB now caches it).");
  assert.equal(await page.locator(".pf-round").count(), 0);
});

test("page fault: the guard page and the unmapped space give SIGSEGV with SEGV_ACCERR and SEGV_MAPERR", async ({ page, goto }) => {
  await goto("/page-fault.html");
  await ready(page);
  await page.locator(".pf-region", { hasText: "0x7f1234570000" }).click();
  await page.locator(".pf-branch").waitFor();
  // clicking a region runs the selected access (write by default) at its start
  assert.equal(await page.inputValue("#pf-addr"), "0x7f1234570000");
  assert.equal(await page.locator(".pf-vma").textContent(), "7f1234570000-7f1234571000 ---p 00000000 00:00 0");
  assert.equal(await page.locator(".pf-accerr").textContent(), "access_error: a write to a VMA without VM_WRITE");
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "accerr");
  assert.equal(await page.locator(".pf-signal").textContent(), "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x7f1234570000} ---");
  // the task died: the next access runs on a fresh machine, where 0x10000000 is below every VMA
  await fault(page, "0x10000000", "read");
  assert.equal(await page.locator(".pf-code").textContent(), "error code 0x4: P=0 W=0 U=1 RSVD=0 I=0");
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "maperr");
  assert.equal(await page.locator(".pf-vma").textContent(), "555555554000-555555558000 r-xp 00000000 00:00 0 (starts above the address)");
  assert.equal(await page.locator(".pf-signal").textContent(), "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10000000} ---");
  // a write one page below the 132 KiB stack: find_vma returns the stack, which may grow down to it
  await fault(page, "0x7ffffffdd000", "write");
  assert.equal(await page.locator(".pf-stack").textContent(), "expand_downwards: the VM_GROWSDOWN stack grows from 0x7ffffffde000 down to 0x7ffffffdd000");
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "anonymous");
  // exec of the present, NX heap page: a protection fault with I set
  await fault(page, "0x555555559000", "exec");
  assert.equal(await page.locator(".pf-code").textContent(), "error code 0x15: P=1 W=0 U=1 RSVD=0 I=1");
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "accerr");
  // a non-canonical address is refused before any access
  await page.fill("#pf-addr", "0x800000000000");
  await page.click("#pf-run");
  assert.match(await page.locator("#pf-error").textContent(), /^invalid virtual address "0x800000000000": expected a canonical 48-bit address in hex/);
});

test("page fault: after fork, the child's write to the shared heap page copies it (do_wp_page → wp_page_copy)", async ({ page, goto }) => {
  await goto("/page-fault.html");
  await ready(page);
  await page.check("#pf-fork");
  await fault(page, "0x555555559000", "write");
  assert.equal(await page.locator(".pf-code").textContent(), "error code 0x7: P=1 W=1 U=1 RSVD=0 I=0");
  assert.equal(await page.locator(".pf-branch").getAttribute("data-path"), "wp-copy");
  // the PTE was present read-only (copy_present_pte cleared RW) and now maps a new frame, writable
  assert.deepEqual((await levels(page)).slice(-1), ["leaf: PTE | 345 | 8000000002fff045 | 8000000002ffd067 | PTE written: pfn 12285 [P RW US A D NX]"]);
  assert.match(await page.locator("#pf-text").textContent(), /^Page fault of fault-demo \(pid 2, CPU 0\): user write at 0000555555559000/);
});

test("page fault (zh): the Chinese page narrates the same fault with Chinese labels", async ({ page, goto, screenshot }) => {
  await goto("/zh/page-fault.html");
  await ready(page);
  assert.equal((await page.locator("#pf-run").innerText()).trim(), "访问");
  await fault(page, "0x7f1234560000", "write");
  assert.equal(await page.locator(".pf-code").textContent(), "错误码 0x6：P=0 W=1 U=1 RSVD=0 I=0");
  assert.match(await page.locator(".pf-branch").textContent(), /^do_anonymous_page：写一个空 PTE/);
  assert.deepEqual((await levels(page))[0], "allocated: PGD | 254 | 0000000000000000 | 000000000385e067 | 原为空：新页表页，pfn 14430 [P RW US A D]");
  await screenshot("page-fault-zh");
});

test("page fault: the browser renders exactly the narration the kernel computes in Node", async ({ page, goto }) => {
  const accesses = [
    { va: 0x7ffffffdd000, access: "write" },
    { va: 0x555555554000, access: "exec" },
    { va: 0x555555554000, access: "write" },
    { va: 0x55555555a000, access: "read" },
    { va: 0x7f1234574000, access: "read" },
    { va: 0x7f1234574000, access: "write" },
  ];
  const node = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "e2e/node-fault.ts", JSON.stringify({ afterFork: false, accesses })], {
    cwd: DOCS, encoding: "utf8",
  });
  assert.equal(node.status, 0, `node-fault.ts failed: ${node.stderr}`);
  const want = JSON.parse(node.stdout);
  await goto("/page-fault.html");
  await ready(page);
  for (let i = 0; i < accesses.length; i++) {
    const a = accesses[i];
    await fault(page, "0x" + a.va.toString(16), a.access);
    const w = want[i];
    const label = `${a.access} 0x${a.va.toString(16)}`;
    assert.equal(await page.locator("#pf-text").textContent(), w.text, label);
    assert.deepEqual(await page.$$eval(".pf-branch", (els) => els.map((e) => e.dataset.path)), w.e.rounds.map((r) => r.path), label);
    assert.deepEqual((await counters(page)).slice(0, w.e.counters.length), w.e.counters.map((c) => `${c.name}: ${c.before} → ${c.after}`), label);
  }
});
