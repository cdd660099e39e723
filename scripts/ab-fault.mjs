// In-process A/B of the anonymous write fault: loads the built packages (dist) of two checkouts
// into one Node process, boots a machine from each, and alternates their fault loops round by
// round, so that both see the same CPU, the same load and the same moment. Between two processes
// on these 2-vCPU machines the same code's figure moves by up to 50 % (one vCPU can run memory-
// bound code a third slower than the other, and which one is slow changes by the minute); in one
// process, two copies of the same commit still differ by up to 10 % (each copy is compiled on its
// own), so take the median ratio of several runs (docs/design/performance.md, "session 5").
//
//   git worktree add /tmp/old REV && (cd /tmp/old && pnpm install --offline --frozen-lockfile && pnpm build)
//   pnpm build && node scripts/ab-fault.mjs /tmp/old .
//
// Prints the median nanoseconds per fault (the stores into a new 4 MiB mapping) and per page of
// the munmap after them, for each tree, and the ratios new/old. R (rounds, default 9) and
// K (calls per round, default 100) come from the environment.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [oldTree, newTree] = process.argv.slice(2);
if (oldTree === undefined || newTree === undefined) {
  console.error("usage: node scripts/ab-fault.mjs OLD_CHECKOUT NEW_CHECKOUT (both built with pnpm build)");
  process.exit(2);
}

const PAGES = 1024;

async function load(tree) {
  const imp = (pkg) => import(pathToFileURL(resolve(tree, "packages", pkg, "dist/index.js")).href);
  const [base, hw, phys, ka, v] = await Promise.all(["base", "hardware", "physical", "kernel-alloc", "virtual"].map(imp));
  const bytes = 1024 * 1024 * 1024;
  const ram = new hw.Ram({ bytes });
  const clock = new base.Clock();
  const pm = phys.PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, clock, kernelImage: null });
  const kal = ka.KernelAlloc.boot({ phys: pm, ram, clock, rng: new base.Rng(1) });
  const vm = new v.VirtualMemory({ alloc: kal, phys: pm, cpus: [new hw.Cpu(0), new hw.Cpu(1)], mmu: new hw.Mmu(ram, 4, new hw.CostModel(), clock) });
  const mm = vm.mmAlloc();
  mm.mmapBase = 0x7ffff7fff000;
  const cpu = vm.cpus[0];
  const one = new Uint8Array(8).fill(1);
  const prot = v.PROT_READ | v.PROT_WRITE, flags = v.MAP_PRIVATE | v.MAP_ANONYMOUS;
  const t = { fault: 0n, unmap: 0n, pages: 0 };
  const run = () => {
    const a = v.sysMmap(vm, mm, 0, PAGES * 4096, prot, flags, null, 0);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < PAGES; i++) vm.store(mm, cpu, a + i * 4096, one);
    const t1 = process.hrtime.bigint();
    v.sysMunmap(vm, mm, a, PAGES * 4096);
    t.unmap += process.hrtime.bigint() - t1;
    t.fault += t1 - t0;
    t.pages += PAGES;
  };
  return { run, t };
}

const a = await load(oldTree), b = await load(newTree);
for (let i = 0; i < 300; i++) { a.run(); b.run(); }
const R = Number(process.env.R ?? 9), K = Number(process.env.K ?? 100);
const rows = { old: [], new: [] };
for (let r = 0; r < R; r++) {
  for (const x of [a, b]) Object.assign(x.t, { fault: 0n, unmap: 0n, pages: 0 });
  for (let k = 0; k < K; k++) {
    // alternate who goes first, so neither always runs on the other's cache leftovers
    if (k & 1) { b.run(); a.run(); } else { a.run(); b.run(); }
  }
  rows.old.push([Number(a.t.fault) / a.t.pages, Number(a.t.unmap) / a.t.pages]);
  rows.new.push([Number(b.t.fault) / b.t.pages, Number(b.t.unmap) / b.t.pages]);
}
const median = (xs, j) => xs.map((x) => x[j]).sort((p, q) => p - q)[xs.length >> 1];
const f = (tree) => [median(rows[tree], 0), median(rows[tree], 1)];
const [of, ou] = f("old"), [nf, nu] = f("new");
console.log(`old: fault ${of.toFixed(0)} ns, munmap ${ou.toFixed(0)} ns/page`);
console.log(`new: fault ${nf.toFixed(0)} ns, munmap ${nu.toFixed(0)} ns/page`);
console.log(`new/old: fault ${(nf / of).toFixed(3)}, fault + munmap ${((nf + nu) / (of + ou)).toFixed(3)}`);
