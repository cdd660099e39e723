// Random file operations (pwrite, pread, read after lseek, truncate, fsync, unlink, close and
// reopen with O_TRUNC, sleeps that let the flusher and the disk run, dropping the clean page
// cache) over three files against a shadow of every file's bytes: every read returns the
// shadow's bytes, across write-back, eviction (drop_caches) and re-reads from the disk.
// verifyFileSystem runs after every operation. Each run ends with every file unlinked: no page
// cache page, dirty page, write-back page or block is left, and the free pages equal the count
// before the run. MMSIM_PROPERTY_OPS sets the total number of operations (default 20,000).
import { expect, test } from "vitest";
import fc from "fast-check";
import { bootFs, counter } from "./fs-testing";
import { O_CREAT, O_RDWR, O_TRUNC } from "./file-table";
import { SEEK_SET, sysClose, sysFsync, sysLseek, sysOpen, sysPread64, sysPwrite64, sysRead, sysTruncate, sysUnlink } from "./read-write";
import { runUntil } from "./page-writeback";
import { dropPagecache } from "./truncate";
import { verifyFileSystem } from "./verify-file";

const P = 4096;
const FILES = ["f0", "f1", "f2"];
const OPS_PER_RUN = 250;
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 20_000);
const RUNS = Math.max(1, Math.ceil(TOTAL / OPS_PER_RUN));
/** the task's buffer: writes come from its first half, reads land in its second */
const RD = 2 * 1024 * 1024;

const opArb = fc.record({
  kind: fc.integer({ min: 0, max: 9 }),
  file: fc.integer({ min: 0, max: FILES.length - 1 }),
  off: fc.integer({ min: 0, max: 14 * P }),
  len: fc.integer({ min: 0, max: 3 * P }),
  byte: fc.integer({ min: 0, max: 255 }),
  secs: fc.integer({ min: 0, max: 40_000 }),
});

interface Shadow { bytes: Uint8Array; size: number }

test(`random file operations keep every byte (${RUNS} runs of ${OPS_PER_RUN})`, () => {
  const m = bootFs({}, 64, 8);
  const { fs, files, mm, cpu, buf } = m;
  // the task's buffer is faulted in once, so its pages and page tables are not counted as leaks
  expect(m.vmm.memset(mm, cpu, buf, 0, 4 * 1024 * 1024)).toBeNull();
  m.vmm.phys.drainAllPages();
  const freeAtBoot = m.vmm.phys.zones().reduce((n, z) => n + z.nrFreePages, 0);
  let ran = 0;
  const out = fc.check(
    fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN, size: "max" }), (ops) => {
      const shadow = new Map<string, Shadow>();
      const fds = new Map<string, number>();
      const fdOf = (name: string, extra = 0): number => {
        let fd = fds.get(name);
        if (fd === undefined || extra !== 0) {
          if (fd !== undefined) sysClose(fs, files, fd);
          fd = sysOpen(fs, files, name, O_RDWR | O_CREAT | extra);
          expect(fd).toBeGreaterThanOrEqual(3);
          fds.set(name, fd);
          const s = shadow.get(name) ?? { bytes: new Uint8Array(0), size: 0 };
          if (extra & O_TRUNC) s.size = 0;
          shadow.set(name, s);
        }
        return fd;
      };
      const check = (name: string, off: number, len: number, got: number) => {
        const s = shadow.get(name)!;
        const want = Math.max(0, Math.min(len, s.size - off));
        expect(got).toBe(want);
        const data = new Uint8Array(want);
        expect(m.vmm.load(mm, cpu, buf + RD, data)).toBeNull();
        for (let k = 0; k < want; k++) if (data[k] !== (off + k < s.bytes.length ? s.bytes[off + k]! : 0)) expect([name, off + k, data[k]]).toEqual([name, off + k, s.bytes[off + k] ?? 0]);
      };
      for (const op of ops) {
        const name = FILES[op.file]!;
        switch (op.kind) {
          case 0:
          case 1: {
            const fd = fdOf(name);
            const data = new Uint8Array(op.len);
            for (let k = 0; k < op.len; k++) data[k] = (op.byte + k) & 255;
            expect(m.vmm.store(mm, cpu, buf, data)).toBeNull();
            expect(sysPwrite64(fs, files, fd, mm, cpu, buf, op.len, op.off)).toBe(op.len);
            const s = shadow.get(name)!;
            if (op.len > 0) {
              const end = op.off + op.len;
              if (end > s.bytes.length) {
                const grown = new Uint8Array(end);
                grown.set(s.bytes.subarray(0, Math.min(s.bytes.length, s.size)));
                s.bytes = grown;
              }
              s.bytes.set(data, op.off);
              s.size = Math.max(s.size, end);
            }
            break;
          }
          case 2: {
            const fd = fdOf(name);
            check(name, op.off, op.len, sysPread64(fs, files, fd, mm, cpu, buf + RD, op.len, op.off));
            break;
          }
          case 3: {
            // sequential read() of the rest from a page-aligned position: read-ahead at work
            const fd = fdOf(name);
            const start = op.off - (op.off % P);
            expect(sysLseek(fs, files, fd, start, SEEK_SET)).toBe(start);
            for (let pos = start, k = 0; k < 6; k++, pos += P) check(name, pos, P, sysRead(fs, files, fd, mm, cpu, buf + RD, P));
            break;
          }
          case 4: {
            if (!shadow.has(name)) break;
            expect(sysTruncate(fs, name, op.off)).toBe(0);
            const s = shadow.get(name)!;
            if (op.off < s.size) s.bytes.fill(0, op.off);
            s.size = op.off;
            break;
          }
          case 5:
            if (fds.has(name)) expect(sysFsync(fs, files, fds.get(name)!)).toBe(0);
            break;
          case 6:
            if (!shadow.has(name)) break;
            expect(sysUnlink(fs, name)).toBe(0);
            if (op.byte & 1 && fds.has(name)) {
              // read the open, unlinked file once more, then close it
              check(name, 0, P, sysPread64(fs, files, fds.get(name)!, mm, cpu, buf + RD, P, 0));
            }
            if (fds.has(name)) sysClose(fs, files, fds.get(name)!);
            fds.delete(name);
            shadow.delete(name);
            break;
          case 7:
            m.clock.ns += op.secs * 1e6;
            runUntil(fs, m.clock.ns);
            break;
          case 8:
            dropPagecache(fs);
            break;
          case 9:
            fdOf(name, op.byte & 1 ? O_TRUNC : 0);
            if (op.byte & 1) shadow.get(name)!.bytes.fill(0);
            break;
        }
        ran++;
        verifyFileSystem(fs);
      }
      for (const fd of fds.values()) sysClose(fs, files, fd);
      for (const name of shadow.keys()) expect(sysUnlink(fs, name)).toBe(0);
      m.clock.ns += 60e9;
      runUntil(fs, m.clock.ns);
      verifyFileSystem(fs);
      expect([counter(m, "nr_file_pages"), counter(m, "nr_dirty"), counter(m, "nr_writeback"), fs.nrFreeBlocks, fs.nrReservedBlocks]).toEqual([0, 0, 0, fs.blockUsed.length - 1, 0]);
      m.vmm.phys.drainAllPages();
      expect(m.vmm.phys.zones().reduce((n, z) => n + z.nrFreePages, 0)).toBe(freeAtBoot);
    }),
    { numRuns: RUNS, seed: 20261205, endOnFailure: true },
  );
  // a short report (the counterexample of 250 operations is too long to print)
  if (out.failed) throw new Error(`seed ${out.seed} path ${out.counterexamplePath}: ${String(out.errorInstance)}`);
  console.log(`file property test: ${ran} operations with verifyFileSystem after each`);
  expect(ran).toBe(RUNS * OPS_PER_RUN);
}, 600_000);
