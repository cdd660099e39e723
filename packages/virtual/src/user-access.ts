// A task's memory accesses: loads, stores, memset and memcpy of user bytes as the CPU performs
// them, through the hardware MMU and the TLB of the CPU the caller names (the walk sets Accessed
// and Dirty), taking the page fault on a failed translation (do_user_addr_fault) and retrying.
// The bytes live in simulated RAM. No allocation on the TLB-hit path (one WalkResult per
// VirtualMemory is reused).
import { BUG } from "@mmsim/base";
import type { Cpu, WalkResult } from "@mmsim/hardware";
import { ACCESS_READ, ACCESS_WRITE } from "@mmsim/hardware";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import type { FaultSignal } from "./fault";
import { doUserAddrFault } from "./fault";
import { switchMm } from "./pte";

/** Bytes per page, module-local (an imported binding is a load through a module cell per use). */
const PAGE_BYTES = 4096;

/** Faults one access may take before it is a BUG (a fault that resolves must let the retry through). */
const MAX_FAULT_RETRIES = 4;

/**
 * Translates va for a user access on cpu (running mm), faulting as needed. Returns the physical
 * address, or -1 with the signal in vmm.lastSignal.
 */
function translateUser(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, va: number, access: number, w: WalkResult): number {
  const mmu = vmm.mmu!;
  for (let tries = 0; ; tries++) {
    if (mmu.translate(cpu, va, access, w)) return w.pa;
    if (tries === MAX_FAULT_RETRIES) BUG("do_user_addr_fault", `fault at 0x${va.toString(16)} does not resolve`);
    const sig = doUserAddrFault(vmm, mm, w.errorCode, va);
    if (sig !== null) {
      vmm.lastSignal = sig;
      return -1;
    }
  }
}

/**
 * Whether len bytes at va are 4-byte aligned and inside one page. The page offset comes from
 * va's low 32 bits (ToUint32 is exact modulo 2^32, as in the TLB's probe), without float maths.
 */
function fitsAligned(va: number, len: number): boolean {
  const off = (va >>> 0) & (PAGE_BYTES - 1);
  return (off & 3) === 0 && off + len <= PAGE_BYTES;
}

/** Puts cpu in user mode on mm (switch_mm when it ran another one). */
function enter(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu): void {
  if (vmm.mmu === null) BUG("user access", "VirtualMemory was built without an MMU (config.mmu)");
  if (cpu.cr3 !== mm.pgd) switchMm(mm, cpu);
  cpu.mode = "user";
}

/**
 * Loads dst.length bytes at addr of mm into dst, as the task on cpu. Returns null, or the signal
 * of the first failing page (the bytes before it were loaded).
 */
export function userLoad(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, dst: Uint8Array): FaultSignal | null {
  enter(vmm, mm, cpu);
  const w = vmm.walk;
  const ram = vmm.ram;
  const len = dst.length;
  if ((len === 8 || len === 4) && fitsAligned(addr, len)) {
    // Fast path: a 4- or 8-byte access, 4-byte aligned, inside one page: one translation and
    // the same 32-bit RAM reads the general loop below would do.
    const pa = translateUser(vmm, mm, cpu, addr, ACCESS_READ, w);
    if (pa < 0) return vmm.lastSignal;
    const lo = ram.readU32(pa);
    dst[0] = lo;
    dst[1] = lo >>> 8;
    dst[2] = lo >>> 16;
    dst[3] = lo >>> 24;
    if (len === 8) {
      const hi = ram.readU32(pa + 4);
      dst[4] = hi;
      dst[5] = hi >>> 8;
      dst[6] = hi >>> 16;
      dst[7] = hi >>> 24;
    }
    return null;
  }
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = translateUser(vmm, mm, cpu, va, ACCESS_READ, w);
    if (pa < 0) return vmm.lastSignal;
    const n = Math.min(4096 - (va % 4096), len - done);
    if (pa % 4 === 0 && n % 4 === 0) {
      for (let k = 0; k < n; k += 4) {
        const v = ram.readU32(pa + k);
        dst[done + k] = v;
        dst[done + k + 1] = v >>> 8;
        dst[done + k + 2] = v >>> 16;
        dst[done + k + 3] = v >>> 24;
      }
    } else for (let k = 0; k < n; k++) dst[done + k] = ram.readU8(pa + k);
    done += n;
  }
  return null;
}

/** Stores src at addr of mm, as the task on cpu. Returns null or the signal (bytes before it were stored). */
export function userStore(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, src: Uint8Array): FaultSignal | null {
  enter(vmm, mm, cpu);
  const w = vmm.walk;
  const ram = vmm.ram;
  const len = src.length;
  if ((len === 8 || len === 4) && fitsAligned(addr, len)) {
    // Fast path, as in userLoad: one translation, the general loop's 32-bit RAM writes.
    const pa = translateUser(vmm, mm, cpu, addr, ACCESS_WRITE, w);
    if (pa < 0) return vmm.lastSignal;
    ram.writeU32(pa, (src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0);
    if (len === 8) ram.writeU32(pa + 4, (src[4] | (src[5] << 8) | (src[6] << 16) | (src[7] << 24)) >>> 0);
    return null;
  }
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = translateUser(vmm, mm, cpu, va, ACCESS_WRITE, w);
    if (pa < 0) return vmm.lastSignal;
    const n = Math.min(4096 - (va % 4096), len - done);
    if (pa % 4 === 0 && n % 4 === 0) {
      for (let k = 0; k < n; k += 4) {
        const j = done + k;
        ram.writeU32(pa + k, (src[j] | (src[j + 1] << 8) | (src[j + 2] << 16) | (src[j + 3] << 24)) >>> 0);
      }
    } else for (let k = 0; k < n; k++) ram.writeU8(pa + k, src[done + k]);
    done += n;
  }
  return null;
}

/** memset(addr, byte, len) by the task on cpu. Returns null or the signal. */
export function userMemset(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, byte: number, len: number): FaultSignal | null {
  enter(vmm, mm, cpu);
  const w = vmm.walk;
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = translateUser(vmm, mm, cpu, va, ACCESS_WRITE, w);
    if (pa < 0) return vmm.lastSignal;
    const n = Math.min(4096 - (va % 4096), len - done);
    vmm.ram.fill(pa, n, byte);
    done += n;
  }
  return null;
}

/** memcpy(dst, src, len) inside mm by the task on cpu (regions must not overlap). Returns null or the signal. */
export function userMemcpy(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, dst: number, src: number, len: number): FaultSignal | null {
  enter(vmm, mm, cpu);
  const w = vmm.walk;
  for (let done = 0; done < len; ) {
    const s = src + done;
    const d = dst + done;
    const n = Math.min(4096 - (s % 4096), 4096 - (d % 4096), len - done);
    // the destination first: its write fault may COW-break the source page, whose address stays valid
    const dpa = translateUser(vmm, mm, cpu, d, ACCESS_WRITE, w);
    if (dpa < 0) return vmm.lastSignal;
    const spa = translateUser(vmm, mm, cpu, s, ACCESS_READ, w);
    if (spa < 0) return vmm.lastSignal;
    const dpa2 = translateUser(vmm, mm, cpu, d, ACCESS_WRITE, w);
    if (dpa2 < 0) return vmm.lastSignal;
    vmm.ram.copy(dpa2, spa, n);
    done += n;
  }
  return null;
}
