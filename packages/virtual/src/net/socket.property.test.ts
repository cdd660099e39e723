// Property test of the socket sink: random write()s of random lengths and offsets, sendfile()s of
// random ranges (with and without an offset), drops of the page cache, sleeps and sk_sndbuf
// changes on two sockets, with verifyNet and verifyFileSystem after every operation, the wire
// compared with a shadow of every byte sent, and every fragment page back in the buddy
// allocator once both sockets are closed. MMSIM_PROPERTY_OPS sets the total operation count.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Nic } from "@mmsim/hardware";
import { bootFs, type FsMachine } from "../file/fs-testing";
import { O_CREAT, O_RDONLY, O_RDWR } from "../file/file-table";
import { sysClose, sysFsync, sysOpen, sysWrite } from "../file/read-write";
import { dropPagecache } from "../file/truncate";
import { runUntil } from "../file/page-writeback";
import { verifyFileSystem } from "../file/verify-file";
import { sysSendfile } from "../file/splice";
import { NetStack, netRunUntil, verifyNet } from "./socket";
import { fileSocket, sysSocket } from "./socket-file";

const FILE = 256 * 1024;
const BUF = 1024 * 1024;
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 1000);
const PER_RUN = 100;

type Op =
  | { op: "write"; sock: number; off: number; len: number }
  | { op: "sendfile"; sock: number; pos: number | null; len: number }
  | { op: "drop" }
  | { op: "sleep"; us: number }
  | { op: "sndbuf"; sock: number; kib: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("write" as const), sock: fc.integer({ min: 0, max: 1 }), off: fc.integer({ min: 0, max: BUF - 1 }), len: fc.integer({ min: 0, max: 200_000 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("sendfile" as const), sock: fc.integer({ min: 0, max: 1 }), pos: fc.option(fc.integer({ min: 0, max: FILE + 4096 }), { nil: null }), len: fc.integer({ min: 0, max: 300_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: "drop" as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("sleep" as const), us: fc.integer({ min: 0, max: 500 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("sndbuf" as const), sock: fc.integer({ min: 0, max: 1 }), kib: fc.integer({ min: 4, max: 4096 }) }) },
);

/** Byte i of the task's buffer, and of the file (the buffer's first FILE bytes). */
const byteAt = (i: number) => (i * 13 + Math.floor(i / 4096)) & 255;

/** The first index where a differs from b's prefix of a's length, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function freePages(m: FsMachine): number {
  m.vmm.phys.drainAllPages();
  return m.vmm.phys.zones().reduce((n, z) => n + z.nrFreePages, 0);
}

describe("the socket sink under random writes and sendfiles", () => {
  it(`sends exactly what was written and sent, keeps its invariants, and frees every fragment page (${TOTAL} operations)`, () => {
    let ran = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: PER_RUN / 2, maxLength: PER_RUN, size: "max" }), (ops) => {
        const m = bootFs({}, 128, 64);
        const buf = new Uint8Array(BUF);
        for (let i = 0; i < BUF; i++) buf[i] = byteAt(i);
        expect(m.vmm.store(m.mm, m.cpu, m.buf, buf)).toBeNull();
        const w = sysOpen(m.fs, m.files, "f", O_RDWR | O_CREAT);
        expect(sysWrite(m.fs, m.files, w, m.mm, m.cpu, m.buf, FILE)).toBe(FILE);
        expect(sysFsync(m.fs, m.files, w)).toBe(0);
        sysClose(m.fs, m.files, w);
        const fd = sysOpen(m.fs, m.files, "f", O_RDONLY);
        const free = freePages(m);
        // both sockets share the NIC: the wire is their skbs in push order
        const net = new NetStack(m.fs, new Nic(m.vmm.ram, { captureLimit: 64 << 20 }));
        const socks = [sysSocket(m.fs, m.files, net), sysSocket(m.fs, m.files, net)];
        // every byte sent, in order (at most PER_RUN * 300 KB)
        const shadow = new Uint8Array(PER_RUN * 300_000);
        let sent = 0;
        let fpos = 0;
        for (const o of ops) {
          ran++;
          if (o.op === "write") {
            const len = Math.min(o.len, BUF - o.off);
            expect(sysWrite(m.fs, m.files, socks[o.sock]!, m.mm, m.cpu, m.buf + o.off, len)).toBe(len);
            shadow.set(buf.subarray(o.off, o.off + len), sent);
            sent += len;
          } else if (o.op === "sendfile") {
            const from = o.pos ?? fpos;
            const want = Math.max(0, Math.min(o.len, FILE - from));
            expect(sysSendfile(m.fs, m.files, socks[o.sock]!, fd, o.pos, o.len)).toBe(want);
            shadow.set(buf.subarray(from, from + want), sent);
            sent += want;
            if (o.pos === null) fpos += want;
          } else if (o.op === "drop") dropPagecache(m.fs);
          else if (o.op === "sleep") {
            m.clock.ns += o.us * 1000;
            netRunUntil(net, m.clock.ns);
          } else fileSocket(m.files.get(socks[o.sock]!)!)!.sndbuf = o.kib * 1024;
          verifyNet(net);
          verifyFileSystem(m.fs);
        }
        expect(net.nic.txBytes).toBe(sent);
        const wire = net.nic.wire()!;
        expect(wire.length).toBe(sent);
        expect(firstDifference(wire, shadow)).toBe(-1);
        for (const s of socks) expect(sysClose(m.fs, m.files, s)).toBe(0);
        netRunUntil(net, Infinity);
        expect(net.sockets).toEqual([]);
        // read-ahead still in flight completes, then the whole cache goes
        m.clock.ns += 1e9;
        runUntil(m.fs, m.clock.ns);
        dropPagecache(m.fs);
        // the file's 64 cached pages went with the last drop; every fragment page is back
        expect(freePages(m)).toBe(free + FILE / 4096);
      }),
      { numRuns: Math.max(1, Math.ceil(TOTAL / (PER_RUN / 2))), seed: 42 },
    );
    console.log(`socket property test: ${ran} operations`);
    expect(ran).toBeGreaterThanOrEqual(TOTAL);
    // each run has at least PER_RUN / 2 operations
  }, 600_000);
});
