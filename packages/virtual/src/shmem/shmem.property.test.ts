// Random operations over shared memory against a byte shadow: shared anonymous mappings (each its
// own "dev/zero" object), two /dev/shm files (open, pwrite, pread, ftruncate, unlink, close) mapped
// shared and private by up to four tasks, stores and loads through every mapping (SIGBUS past EOF
// and when a fault finds the mount full), fork (shared mappings share, private copies are copied)
// and exit, munmap. The shadow predicts every byte, every result and which page exists; verify
// runs after every operation. At the end everything is unmapped, closed and unlinked: nr_shmem 0,
// no Committed_AS left but the I/O buffer's, and the free pages are back. MMSIM_PROPERTY_OPS sets
// the total (default 6,000).
import { expect, test } from "vitest";
import fc from "fast-check";
import { bootFs } from "../file/fs-testing";
import { O_CREAT, O_RDWR } from "../file/file-table";
import { sysClose, sysFtruncate, sysOpen, sysPread64, sysPwrite64, sysUnlink } from "../file/read-write";
import { fileVmFile } from "../file/file-mmap";
import { verifyFileSystem } from "../file/verify-file";
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from "../mm-flags";
import { sysMmap, sysMunmap } from "../syscalls";
import { SIGBUS } from "../fault";
import { verifyVirtual } from "../verify";
import { freePagesNow } from "../../test/boot";
import type { MmStruct } from "../mm-types";
import { DEV_SHM, DEV_SHM_DEV, mountTmpfs } from "./tmpfs";

const P = 4096;
/** the largest object, in pages */
const MAX_PAGES = 12;
/** the tmpfs's size= (pages): small, so faults and writes meet ENOSPC */
const MOUNT_PAGES = 14;
/** op.kind -> operation: loads and stores (8, 9) weigh most */
const KINDS = [0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 10, 11, 12, 13];
const OPS_PER_RUN = 200;
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 6_000);
const RUNS = Math.max(1, Math.ceil(TOTAL / OPS_PER_RUN));
const ENOSPC = 28;

/** A shmem object as the shadow sees it: its bytes, size, the pages that exist, its name and descriptor. */
interface Obj {
  bytes: Uint8Array;
  size: number;
  alloc: Set<number>;
  /** a tmpfs file (else shared anonymous memory on shm_mnt, unlimited) */
  tmpfs: boolean;
  name: string | null;
  fd: number;
}
interface Mapping { addr: number; pages: number; obj: Obj; pgoff: number; shared: boolean; priv: Map<number, Uint8Array> }
interface Task { mm: MmStruct; maps: Mapping[] }

const opArb = fc.record({
  kind: fc.integer({ min: 0, max: KINDS.length - 1 }).map((k) => KINDS[k]!),
  task: fc.integer({ min: 0, max: 3 }),
  pick: fc.integer({ min: 0, max: 1 << 20 }),
  pages: fc.integer({ min: 1, max: MAX_PAGES }),
  off: fc.integer({ min: 0, max: MAX_PAGES * P - 1 }),
  len: fc.integer({ min: 1, max: 3 * P }),
  byte: fc.integer({ min: 0, max: 255 }),
});

type Op = { kind: number; task: number; pick: number; pages: number; off: number; len: number; byte: number };

test(`random shared memory operations keep every byte (${RUNS} runs of ${OPS_PER_RUN})`, () => {
  const m = bootFs({}, 64, 8);
  mountTmpfs(m.fs, DEV_SHM, DEV_SHM_DEV, { maxBlocks: MOUNT_PAGES, maxInodes: 0 });
  const { fs, files, vmm, buf, cpu } = m;
  const io = m.mm;
  expect(vmm.memset(io, cpu, buf, 0, 3 * P)).toBeNull(); // the I/O buffer's pages exist before the count
  const free0 = freePagesNow(vmm);
  const committed0 = vmm.committedAs;
  let ran = 0;
  const seen = { sigbus: 0, enospc: 0, forks: 0, accesses: 0, pwrites: 0 };
  const out = fc.check(
    fc.property(ENV?.SHMEM_REPLAY ? fc.constant(JSON.parse(ENV.SHMEM_REPLAY) as Op[]) : fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN, size: "max" }), (ops) => {
      const tasks: (Task | null)[] = [{ mm: vmm.mmAlloc()!, maps: [] }, null, null, null];
      tasks[0]!.mm.mmapBase = 0x7ffff7fff000;
      const names = [`${DEV_SHM}a`, `${DEV_SHM}b`];
      const byName = new Map<string, Obj>();
      const objs = new Set<Obj>();
      const mmsNow = () => [io, ...tasks.filter((t): t is Task => t !== null).map((t) => t.mm)];
      const mapped = (o: Obj) => tasks.some((t) => t?.maps.some((mp) => mp.obj === o));
      /** iput: an object with no name, descriptor or mapping is gone with its pages */
      const reap = () => {
        for (const o of objs) if (o.name === null && o.fd < 0 && !mapped(o)) objs.delete(o);
      };
      const mountUsed = () => [...objs].reduce((n, o) => n + (o.tmpfs ? o.alloc.size : 0), 0);
      /** a fault's SGP_CACHE: the page exists after it, or the mount is full (false: SIGBUS) */
      const faultIn = (o: Obj, idx: number): boolean => {
        if (o.alloc.has(idx)) return true;
        if (o.tmpfs && mountUsed() >= MOUNT_PAGES) return false;
        o.alloc.add(idx);
        return true;
      };
      /** truncation's effect on the shadow: the tail of the kept page zeroed, pages past it gone, private copies past it too */
      const shrink = (o: Obj, size: number) => {
        const keep = Math.ceil(size / P);
        if (size % P !== 0 && o.alloc.has(Math.floor(size / P))) o.bytes.fill(0, size, keep * P);
        for (const i of [...o.alloc]) if (i >= keep) {
          o.alloc.delete(i);
          o.bytes.fill(0, i * P, (i + 1) * P);
        }
        for (const t of tasks) for (const mp of t?.maps ?? []) if (mp.obj === o) for (const i of [...mp.priv.keys()]) if (i >= keep) mp.priv.delete(i);
      };
      const check = () => {
        verifyFileSystem(fs);
        verifyVirtual(vmm, mmsNow());
        expect(vmm.phys.counters.get("nr_shmem")).toBe([...objs].reduce((n, o) => n + o.alloc.size, 0));
      };
      for (const op of ops) {
        ran++;
        // the live task op.task counts to (fork and exit pick by slot)
        const live = tasks.filter((x): x is Task => x !== null);
        const t: Task | null = op.kind === 10 || op.kind === 11 ? tasks[op.task]! : live[op.task % live.length]!;
        const mapsOf = t?.maps ?? [];
        const mp = mapsOf.length > 0 ? mapsOf[op.pick % mapsOf.length]! : null;
        const name = names[op.pick % 2]!;
        const file = byName.get(name) ?? null;
        switch (op.kind) {
          case 0: { // mmap MAP_SHARED|MAP_ANONYMOUS
            if (t === null) break;
            const len = op.pages * P;
            const addr = sysMmap(vmm, t.mm, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, null, 0);
            expect(addr).toBeGreaterThan(0);
            const o: Obj = { bytes: new Uint8Array(len), size: len, alloc: new Set(), tmpfs: false, name: null, fd: -1 };
            objs.add(o);
            t.maps.push({ addr, pages: op.pages, obj: o, pgoff: 0, shared: true, priv: new Map() });
            break;
          }
          case 1: { // open(O_CREAT) of a /dev/shm name
            if (file !== null && file.fd >= 0) break;
            const fd = sysOpen(fs, files, name, O_RDWR | O_CREAT);
            expect(fd).toBeGreaterThanOrEqual(3);
            if (file !== null) file.fd = fd;
            else {
              const o: Obj = { bytes: new Uint8Array(MAX_PAGES * P), size: 0, alloc: new Set(), tmpfs: true, name, fd };
              objs.add(o);
              byName.set(name, o);
            }
            break;
          }
          case 2: { // ftruncate
            if (file === null || file.fd < 0) break;
            const size = op.off % (MAX_PAGES * P + 1);
            expect(sysFtruncate(fs, files, file.fd, size)).toBe(0);
            if (size < file.size) shrink(file, size);
            file.size = size;
            break;
          }
          case 3: { // pwrite from the I/O buffer
            if (file === null || file.fd < 0) break;
            const pos = op.off;
            const len = Math.min(op.len, MAX_PAGES * P - pos);
            expect(vmm.memset(io, cpu, buf, op.byte, len)).toBeNull();
            let done = 0;
            while (done < len) {
              const idx = Math.floor((pos + done) / P);
              if (!faultIn(file, idx)) break;
              const n = Math.min(len - done, (idx + 1) * P - (pos + done));
              file.bytes.fill(op.byte, pos + done, pos + done + n);
              done += n;
            }
            expect(sysPwrite64(fs, files, file.fd, io, cpu, buf, len, pos)).toBe(done > 0 ? done : -ENOSPC);
            if (done < len) seen.enospc++;
            seen.pwrites++;
            file.size = Math.max(file.size, pos + done);
            break;
          }
          case 4: { // pread into the I/O buffer
            if (file === null || file.fd < 0) break;
            const n = Math.max(0, Math.min(op.len, file.size - op.off));
            expect(sysPread64(fs, files, file.fd, io, cpu, buf, op.len, op.off)).toBe(n);
            if (n > 0) {
              const got = new Uint8Array(n);
              expect(vmm.load(io, cpu, buf, got)).toBeNull();
              expect(got).toEqual(file.bytes.subarray(op.off, op.off + n));
            }
            break;
          }
          case 5: // close
            if (file === null || file.fd < 0) break;
            expect(sysClose(fs, files, file.fd)).toBe(0);
            file.fd = -1;
            break;
          case 6: // unlink
            if (file === null) break;
            expect(sysUnlink(fs, name)).toBe(0);
            file.name = null;
            byName.delete(name);
            break;
          case 7: { // mmap of a file, shared or private, at a page offset
            if (t === null || file === null || file.fd < 0) break;
            const shared = (op.byte & 1) === 0;
            const pgoff = op.pick % 3;
            const pages = Math.min(op.pages, MAX_PAGES - pgoff);
            const addr = sysMmap(vmm, t.mm, 0, pages * P, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fileVmFile(fs, files.get(file.fd)!), pgoff * P);
            expect(addr).toBeGreaterThan(0);
            t.maps.push({ addr, pages, obj: file, pgoff, shared, priv: new Map() });
            break;
          }
          case 8: case 9: { // store or load of up to 64 bytes inside one page of a mapping
            if (t === null || mp === null) break;
            const p = op.pick % mp.pages;
            const at = op.off % P;
            const n = Math.min(64, P - at, op.len);
            const addr = mp.addr + p * P + at;
            const idx = mp.pgoff + p;
            const o = mp.obj;
            const own = mp.priv.get(idx);
            const ok = own !== undefined || (idx < Math.ceil(o.size / P) && faultIn(o, idx));
            if (ok) seen.accesses++;
            else seen.sigbus++;
            if (op.kind === 8) {
              const sig = vmm.store(t.mm, cpu, addr, new Uint8Array(n).fill(op.byte));
              if (!ok) {
                expect(sig?.signo).toBe(SIGBUS);
                break;
              }
              expect(sig).toBeNull();
              if (mp.shared) o.bytes.fill(op.byte, idx * P + at, idx * P + at + n);
              else {
                const copy = own ?? o.bytes.slice(idx * P, (idx + 1) * P);
                copy.fill(op.byte, at, at + n);
                mp.priv.set(idx, copy);
              }
            } else {
              const got = new Uint8Array(n);
              const sig = vmm.load(t.mm, cpu, addr, got);
              if (!ok) {
                expect(sig?.signo).toBe(SIGBUS);
                break;
              }
              expect(sig).toBeNull();
              expect(got).toEqual(own !== undefined ? own.subarray(at, at + n) : o.bytes.subarray(idx * P + at, idx * P + at + n));
            }
            break;
          }
          case 10: { // fork into a free slot
            const slot = tasks.indexOf(null);
            if (t === null || slot < 0) break;
            const child = vmm.fork(t.mm)!;
            seen.forks++;
            expect(child).not.toBeNull();
            tasks[slot] = { mm: child, maps: t.maps.map((x) => ({ ...x, priv: new Map([...x.priv].map(([k, v]) => [k, v.slice()])) })) };
            break;
          }
          case 11: // exit (not the last task)
            if (t === null || live.length === 1) break;
            vmm.exitMm(t.mm);
            tasks[tasks.indexOf(t)] = null;
            reap();
            break;
          case 12: // munmap of a whole mapping
            if (t === null || mp === null) break;
            expect(sysMunmap(vmm, t.mm, mp.addr, mp.pages * P)).toBe(0);
            t.maps.splice(t.maps.indexOf(mp), 1);
            reap();
            break;
          case 13: // unlink and close: the mappings keep the object
            if (file === null) break;
            expect(sysUnlink(fs, name)).toBe(0);
            file.name = null;
            byName.delete(name);
            if (file.fd >= 0) expect(sysClose(fs, files, file.fd)).toBe(0);
            file.fd = -1;
            reap();
            break;
        }
        if (op.kind === 5 || op.kind === 6) reap();
        check();
      }
      for (let k = 0; k < tasks.length; k++) {
        if (tasks[k] === null) continue;
        vmm.exitMm(tasks[k]!.mm);
        tasks[k] = null;
      }
      for (const o of objs) {
        if (o.name !== null) expect(sysUnlink(fs, o.name)).toBe(0);
        if (o.fd >= 0) expect(sysClose(fs, files, o.fd)).toBe(0);
        o.name = null;
        o.fd = -1;
      }
      reap();
      check();
      expect(vmm.phys.counters.get("nr_shmem")).toBe(0);
      expect(vmm.phys.counters.get("nr_file_pages")).toBe(0);
      expect(vmm.committedAs).toBe(committed0);
      expect(freePagesNow(vmm)).toBe(free0);
    }),
    { numRuns: RUNS, seed: 17, endOnFailure: true },
  );
  console.log(`shmem property test: ${ran} operations (${seen.accesses} loads/stores, ${seen.sigbus} SIGBUS, ${seen.pwrites} pwrites of which ${seen.enospc} short or ENOSPC, ${seen.forks} forks)`);
  if (out.failed) {
    console.log(fc.defaultReportMessage(out));
    throw out.errorInstance as Error;
  }
}, 900_000);
