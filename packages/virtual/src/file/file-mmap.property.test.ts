// Random operations on one file mapped twice, shared and private, against a shadow of the file's
// bytes and of the private mapping's copied pages: pwrite, stores and loads through both
// mappings (SIGBUS past EOF), truncate (which unmaps, private copies past the new end too),
// fsync, sleeps that let the flusher and the disk run, drop_caches, msync, fork (the child
// reads the same bytes, its private write stays its own, then it exits), munmap of both mappings
// then drop_caches and a read of the file from the disk (a store after write-back must have
// redirtied its page: folio_mkclean), and mprotect splitting the shared VMA and merging it back
// (the i_mmap tree re-keys both halves). verifyFileSystem and verifyVirtual run after every
// operation. MMSIM_PROPERTY_OPS sets the total (default 10,000).
import { expect, test } from "vitest";
import fc from "fast-check";
import { bootFs } from "./fs-testing";
import { O_CREAT, O_RDWR } from "./file-table";
import { sysFsync, sysFtruncate, sysOpen, sysPread64, sysPwrite64, sysUnlink, sysClose } from "./read-write";
import { runUntil } from "./page-writeback";
import { dropPagecache } from "./truncate";
import { fileVmFile } from "./file-mmap";
import { verifyFileSystem } from "./verify-file";
import { MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from "../mm-flags";
import { sysMmap, sysMunmap } from "../syscalls";
import { SIGBUS } from "../fault";
import { MS_SYNC, sysMsync } from "../msync";
import { verifyVirtual } from "../verify";
import { doMprotect } from "../mprotect";

const P = 4096;
const PAGES = 16;
const SHARED = 0x10000000;
const PRIV = 0x20000000;
const OPS_PER_RUN = 200;
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 10_000);
const RUNS = Math.max(1, Math.ceil(TOTAL / OPS_PER_RUN));

const opArb = fc.record({
  kind: fc.integer({ min: 0, max: 11 }),
  off: fc.integer({ min: 0, max: PAGES * P - 1 }),
  len: fc.integer({ min: 1, max: 64 }),
  byte: fc.integer({ min: 0, max: 255 }),
  secs: fc.integer({ min: 0, max: 40_000 }),
});

test(`random operations on a file mapped shared and private keep every byte (${RUNS} runs of ${OPS_PER_RUN})`, () => {
  const m = bootFs({}, 64, 8);
  const { fs, files, mm, cpu, buf, vmm } = m;
  let ran = 0;
  const out = fc.check(
    fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN, size: "max" }), (ops) => {
      const fd = sysOpen(fs, files, "m", O_RDWR | O_CREAT);
      const file = new Uint8Array(PAGES * P);
      let size = 0;
      const copies: (Uint8Array | null)[] = new Array<Uint8Array | null>(PAGES).fill(null);
      const vf = fileVmFile(fs, files.get(fd)!);
      expect(sysMmap(vmm, mm, SHARED, PAGES * P, PROT_READ | PROT_WRITE, MAP_SHARED, vf, 0)).toBe(SHARED);
      expect(sysMmap(vmm, mm, PRIV, PAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, vf, 0)).toBe(PRIV);
      /** what the private mapping shows at byte o */
      const privByte = (o: number) => copies[Math.floor(o / P)]?.[o % P] ?? file[o]!;
      const verify = () => {
        verifyFileSystem(fs);
        verifyVirtual(vmm, [mm]);
      };
      for (const op of ops) {
        const len = Math.min(op.len, P - (op.off % P)); // within one page
        const data = new Uint8Array(len);
        for (let k = 0; k < len; k++) data[k] = (op.byte + k) & 255;
        const inside = op.off + len <= size;
        switch (op.kind) {
          case 0: {
            expect(vmm.store(mm, cpu, buf, data)).toBeNull();
            expect(sysPwrite64(fs, files, fd, mm, cpu, buf, len, op.off)).toBe(len);
            file.set(data, op.off);
            size = Math.max(size, op.off + len);
            break;
          }
          case 1:
          case 2: {
            // a store through the shared (1) or the private (2) mapping
            const base = op.kind === 1 ? SHARED : PRIV;
            const pastEof = Math.floor(op.off / P) * P >= Math.ceil(size / P) * P;
            // bytes past EOF inside the last page are not part of the file: not stored here
            if (!pastEof && !inside) break;
            const sig = vmm.store(mm, cpu, base + op.off, data);
            if (pastEof) {
              expect(sig?.signo).toBe(SIGBUS);
              break;
            }
            expect(sig).toBeNull();
            if (op.kind === 1) file.set(data, op.off);
            else {
              const pg = Math.floor(op.off / P);
              if (copies[pg] === null) copies[pg] = file.slice(pg * P, pg * P + P);
              copies[pg]!.set(data, op.off % P);
            }
            break;
          }
          case 3:
          case 4: {
            // a load through either mapping
            const got = new Uint8Array(len);
            const base = op.kind === 3 ? SHARED : PRIV;
            const sig = vmm.load(mm, cpu, base + op.off, got);
            if (Math.floor(op.off / P) * P >= Math.ceil(size / P) * P) {
              expect(sig?.signo).toBe(SIGBUS);
              break;
            }
            expect(sig).toBeNull();
            if (!inside) break;
            for (let k = 0; k < len; k++) {
              const want = op.kind === 3 ? file[op.off + k]! : privByte(op.off + k);
              if (got[k] !== want) expect([op.kind, op.off + k, got[k]]).toEqual([op.kind, op.off + k, want]);
            }
            break;
          }
          case 5: {
            const n = op.off % (PAGES * P + 1);
            expect(sysFtruncate(fs, files, fd, n)).toBe(0);
            if (n < size) file.fill(0, n);
            size = n;
            // unmap_mapping_range from round_up(n): private copies there are gone
            for (let pg = Math.ceil(n / P); pg < PAGES; pg++) copies[pg] = null;
            break;
          }
          case 6:
            if (op.byte & 1) expect(sysFsync(fs, files, fd)).toBe(0);
            else expect(sysMsync(mm, SHARED, PAGES * P, MS_SYNC)).toBe(0);
            break;
          case 7:
            m.clock.ns += op.secs * 1e6;
            runUntil(fs, m.clock.ns);
            break;
          case 8:
            dropPagecache(fs);
            break;
          case 9: {
            const child = vmm.fork(mm)!;
            verifyVirtual(vmm, [mm, child]);
            if (inside) {
              const got = new Uint8Array(len);
              expect(vmm.load(child, cpu, SHARED + op.off, got)).toBeNull();
              for (let k = 0; k < len; k++) expect(got[k]).toBe(file[op.off + k]);
              expect(vmm.load(child, cpu, PRIV + op.off, got)).toBeNull();
              for (let k = 0; k < len; k++) expect(got[k]).toBe(privByte(op.off + k));
              // the child's private write is its own
              expect(vmm.store(child, cpu, PRIV + op.off, data)).toBeNull();
              verifyVirtual(vmm, [mm, child]);
            }
            vmm.exitMm(child);
            break;
          }
          case 10: {
            // unmapped and dropped, the file comes back from the disk (or the dirty cache) as the shadow
            expect(sysMunmap(vmm, mm, SHARED, PAGES * P)).toBe(0);
            expect(sysMunmap(vmm, mm, PRIV, PAGES * P)).toBe(0);
            copies.fill(null);
            dropPagecache(fs);
            expect(sysPread64(fs, files, fd, mm, cpu, buf, PAGES * P, 0)).toBe(size);
            const back = new Uint8Array(size);
            expect(vmm.load(mm, cpu, buf, back)).toBeNull();
            for (let k = 0; k < size; k++) if (back[k] !== file[k]) expect([k, back[k]]).toEqual([k, file[k]]);
            expect(sysMmap(vmm, mm, SHARED, PAGES * P, PROT_READ | PROT_WRITE, MAP_SHARED, vf, 0)).toBe(SHARED);
            expect(sysMmap(vmm, mm, PRIV, PAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, vf, 0)).toBe(PRIV);
            break;
          }
          case 11: {
            // split the shared VMA by mprotect, then merge it back
            const pg = Math.floor(op.off / P);
            const n = Math.min(1 + (op.len % 4), PAGES - pg) * P;
            expect(doMprotect(vmm, mm, SHARED + pg * P, n, PROT_READ)).toBe(0);
            verify();
            expect(doMprotect(vmm, mm, SHARED + pg * P, n, PROT_READ | PROT_WRITE)).toBe(0);
            expect(vf.mapping.iMmap.length).toBe(2);
            break;
          }
        }
        ran++;
        verify();
      }
      expect(sysMunmap(vmm, mm, SHARED, PAGES * P)).toBe(0);
      expect(sysMunmap(vmm, mm, PRIV, PAGES * P)).toBe(0);
      expect(vmm.phys.counters.get("nr_mapped")).toBe(0);
      sysClose(fs, files, fd);
      expect(sysUnlink(fs, "m")).toBe(0);
      m.clock.ns += 60e9;
      runUntil(fs, m.clock.ns);
      verify();
      expect(vmm.phys.counters.get("nr_file_pages")).toBe(0);
    }),
    { numRuns: RUNS, seed: 20261205, endOnFailure: true },
  );
  if (out.failed) throw new Error(`seed ${out.seed} path ${out.counterexamplePath}: ${String(out.errorInstance)}`);
  console.log(`file mmap property test: ${ran} operations with verifyFileSystem and verifyVirtual after each`);
  expect(ran).toBe(RUNS * OPS_PER_RUN);
}, 600_000);
