// Property test: random scalar, pair, block, fill, copy (whole frames too) and zeroFrame operations on Ram against
// a plain byte array, with generated bad accesses (misaligned, outside RAM) that must be Bugs
// naming the accessor and change nothing. Every read must match the model, a frame that was
// never written with a non-zero byte must have no backing, and Ram.verify() holds after each
// step. 2 * 10^4 operations in CI (20 % of the package's 10^5: mmu.property.test.ts has the
// split); MMSIM_PROPERTY_OPS sets the package total.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bug } from "@mmsim/base";
import { Ram } from "../src/ram";

const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const OPS = Math.ceil(Number(ENV?.MMSIM_PROPERTY_OPS ?? 100_000) * 0.2);
const OPS_PER_RUN = 500;
const RUNS = Math.max(1, Math.ceil(OPS / OPS_PER_RUN));
const FRAMES = 16;
const BYTES = FRAMES * 4096;

type Op = { kind: number; at: number; len: number; v: number; w: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.integer({ min: 0, max: 15 }),
  // addresses cluster near frame boundaries half of the time
  at: fc.oneof(fc.integer({ min: 0, max: BYTES - 1 }), fc.integer({ min: 1, max: FRAMES - 1 }).map((f) => f * 4096 - 8)),
  len: fc.integer({ min: 0, max: 9000 }),
  v: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
  w: fc.integer({ min: 0, max: 0xffffffff }),
});

/** toEqual on byte arrays, without its per-element cost (it runs on every run's whole RAM). */
function sameBytes(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) expect(`byte ${i}: ${got[i]}`).toBe(`byte ${i}: ${want[i]}`);
}

describe("Ram against a byte array", () => {
  it(`reads what was written over ${RUNS * OPS_PER_RUN} random operations, and bad accesses are Bugs`, () => {
    let opsRun = 0;
    let bad = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (ops) => {
        const ram = new Ram({ bytes: BYTES });
        const model = new Uint8Array(BYTES);
        const everNonZero = new Uint8Array(FRAMES);
        const put = (pa: number, bytes: number[] | Uint8Array) => {
          model.set(bytes, pa);
          for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) everNonZero[Math.floor((pa + i) / 4096)] = 1;
        };
        const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) % 256);
        const modelU32 = (pa: number) => model[pa] + model[pa + 1] * 256 + model[pa + 2] * 65536 + model[pa + 3] * 16777216;
        for (const o of ops) {
          const a8 = o.at - (o.at % 8);
          const a4 = o.at - (o.at % 4);
          const a2 = o.at - (o.at % 2);
          switch (o.kind) {
            case 0: ram.writeU8(o.at, o.v & 0xff); put(o.at, [o.v & 0xff]); break;
            case 1: ram.writeU16(a2, o.v & 0xffff); put(a2, le(o.v & 0xffff, 2)); break;
            case 2: ram.writeU32(a4, o.v); put(a4, le(o.v, 4)); break;
            case 3: {
              const v = o.w * 2097152 + (o.v % 2097152); // < 2^53
              ram.writeU64(a8, v);
              put(a8, [...le(v % 4294967296, 4), ...le(Math.floor(v / 4294967296), 4)]);
              break;
            }
            case 4: ram.writeU32Pair(a8, o.v, o.w); put(a8, [...le(o.v, 4), ...le(o.w, 4)]); break;
            case 5: {
              const len = Math.min(o.len, BYTES - o.at);
              ram.fill(o.at, len, o.v & 0xff);
              put(o.at, new Uint8Array(len).fill(o.v & 0xff));
              break;
            }
            case 6: {
              const src = o.w % BYTES;
              const len = Math.min(o.len, BYTES - o.at, BYTES - src);
              ram.copy(o.at, src, len);
              put(o.at, model.slice(src, src + len));
              break;
            }
            case 7: {
              const pfn = o.w % FRAMES;
              ram.zeroFrame(pfn);
              model.fill(0, pfn * 4096, pfn * 4096 + 4096);
              everNonZero[pfn] = 0;
              break;
            }
            case 8: {
              const len = Math.min(o.len % 64, BYTES - o.at);
              const bytes = Uint8Array.from({ length: len }, (_, i) => (o.v >>> (i % 24)) & 0xff);
              ram.write(o.at, bytes);
              put(o.at, bytes);
              break;
            }
            case 9: {
              // A misaligned or out-of-RAM access: a Bug naming the accessor, nothing changed.
              const pa = o.v % 2 === 0 ? a8 + 1 + (o.w % 3) : BYTES + (o.w % 4096);
              const fn = ["Ram.readU32", "Ram.writeU32", "Ram.readU64", "Ram.writeU64"][o.w % 4];
              const call = () => {
                if (fn === "Ram.readU32") ram.readU32(pa);
                else if (fn === "Ram.writeU32") ram.writeU32(pa, o.v);
                else if (fn === "Ram.readU64") ram.readU64(pa);
                else ram.writeU64(pa, o.v);
              };
              let caught: unknown = null;
              try {
                call();
              } catch (e) {
                caught = e;
              }
              expect(caught).toBeInstanceOf(Bug);
              expect((caught as Bug).fn).toBe(fn);
              bad++;
              break;
            }
            case 10: expect(ram.readU8(o.at)).toBe(model[o.at]); break;
            case 11: expect(ram.readU32(a4)).toBe(modelU32(a4)); break;
            case 12: {
              expect(ram.readU32Pair(a8)).toBe(modelU32(a8));
              expect(ram.pairHi).toBe(modelU32(a8 + 4));
              break;
            }
            case 15: {
              // a whole-frame copy (COW's copy_user_highpage): its own path through the dirty chunks
              const dst = o.at - (o.at % 4096), src = (o.w % FRAMES) * 4096;
              ram.copy(dst, src, 4096);
              put(dst, model.slice(src, src + 4096));
              // a backed source backs the target even when its bytes are zero by now (Ram does not
              // read 4 KiB to find out); an unbacked one leaves the target unbacked
              if (ram.isBacked(src / 4096) && dst !== src) everNonZero[dst / 4096] = 1;
              break;
            }
            case 13: expect(ram.readU64Big(a8)).toBe(BigInt(modelU32(a8)) + (BigInt(modelU32(a8 + 4)) << 32n)); break;
            default: {
              const len = Math.min(o.len, BYTES - o.at);
              sameBytes(ram.read(o.at, len), model.subarray(o.at, o.at + len));
            }
          }
          ram.verify(opsRun % 64 === 0); // the byte scan of every slot now and then: it reads 64 KiB
          opsRun++;
        }
        ram.verify(true);
        sameBytes(ram.read(0, BYTES), model);
        for (let f = 0; f < FRAMES; f++) if (!everNonZero[f]) expect(ram.isBacked(f)).toBe(false);
      }),
      { numRuns: RUNS },
    );
    console.log(`Ram property test: ${opsRun} operations (${bad} bad accesses) in ${RUNS} runs`);
    expect(opsRun).toBe(RUNS * OPS_PER_RUN);
  }, 300_000);
});
