// A task's memory accesses: loads, stores, memset and memcpy of user bytes as the CPU performs
// them, through the hardware MMU and the TLB of the CPU the caller names (the walk sets Accessed
// and Dirty), taking the page fault on a failed translation (do_user_addr_fault) and retrying.
// The bytes live in simulated RAM. No allocation on the TLB-hit path, and no stores but the TLB's
// LRU stamp and the clock (Mmu.translatePa returns the physical address itself).
import { BUG } from "@mmsim/base";
import type { Cpu } from "@mmsim/hardware";
import { ACCESS_READ as ACCESS_READ_, ACCESS_WRITE as ACCESS_WRITE_, X86_PF_USER as X86_PF_USER_ } from "@mmsim/hardware";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import type { FaultSignal } from "./fault";
import { doUserAddrFault as doUserAddrFault_ } from "./fault";
import { switchMm as switchMm_ } from "./pte";

// Local copies of imported bindings (docs/design/performance.md, rule 2): every access passes
// ACCESS_READ or ACCESS_WRITE, and every fault calls doUserAddrFault.
const ACCESS_READ = ACCESS_READ_;
const ACCESS_WRITE = ACCESS_WRITE_;
const USER = X86_PF_USER_;
const doUserAddrFault = doUserAddrFault_;
const switchMm = switchMm_;

/** Bytes per page, module-local (an imported binding is a load through a module cell per use). */
const PAGE_BYTES = 4096;

/** Faults one access may take before it is a BUG (a fault that resolves must let the retry through). */
const MAX_FAULT_RETRIES = 4;

/**
 * Translates va for a user access on cpu (running mm), faulting as needed. Returns the physical
 * address, or -1 with the signal in vmm.lastSignal. Small, so that the TLB hit inlines into the
 * callers; a miss that faults goes to translateUserFault.
 */
function translateUser(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, va: number, access: number): number {
  const pa = vmm.mmu!.translatePa(cpu, va, access);
  return pa >= 0 ? pa : translateUserFault(vmm, mm, cpu, va, access);
}

/** translateUser after a failed translation: do_user_addr_fault, then retry, until it resolves or signals. */
function translateUserFault(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, va: number, access: number): number {
  const mmu = vmm.mmu!;
  for (let tries = 0; ; tries++) {
    if (tries === MAX_FAULT_RETRIES) BUG("do_user_addr_fault", `fault at 0x${va.toString(16)} does not resolve`);
    const sig = doUserAddrFault(vmm, mm, cpu.lastFaultCode, va);
    if (sig !== null) {
      vmm.lastSignal = sig;
      return -1;
    }
    const pa = mmu.retryPa(cpu, va, access);
    if (pa >= 0) return pa;
  }
}

/** Puts cpu in user mode on mm (switch_mm when it ran another one); a BUG without an MMU. */
function enter(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu): void {
  if (vmm.mmu === null) BUG("user access", "VirtualMemory was built without an MMU (config.mmu)");
  if (cpu.cr3 !== mm.pgd) switchMm(mm, cpu);
  cpu.mode = "user";
}

// userLoad and userStore are kept small so that they inline into their callers: a naturally
// aligned 4- or 8-byte access (its offset from va's low 32 bits: ToUint32 is exact modulo 2^32,
// as in the TLB's probe) takes one translation and one frame-cache test in RAM, with the mode and
// CR3 tests inline (enter() only when the CPU must switch); anything else goes to the page loop.

/**
 * Loads dst.length bytes at addr of mm into dst, as the task on cpu. Returns null, or the signal
 * of the first failing page (the bytes before it were loaded).
 */
export function userLoad(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, dst: Uint8Array): FaultSignal | null {
  const len = dst.length;
  const off = (addr >>> 0) & (PAGE_BYTES - 1);
  if ((len === 8 ? off & 7 : len === 4 ? off & 3 : 1) !== 0) return userLoadPages(vmm, mm, cpu, addr, dst);
  const mmu = vmm.mmu;
  if (mmu === null || (cpu.accBits & USER) === 0 || cpu.cr3 !== mm.pgd) enter(vmm, mm, cpu);
  let pa = mmu!.translatePa(cpu, addr, ACCESS_READ);
  if (pa < 0 && (pa = translateUserFault(vmm, mm, cpu, addr, ACCESS_READ)) < 0) return vmm.lastSignal;
  const ram = vmm.ram;
  if (len === 4) {
    const v = ram.readU32(pa);
    dst[0] = v;
    dst[1] = v >>> 8;
    dst[2] = v >>> 16;
    dst[3] = v >>> 24;
    return null;
  }
  const lo = ram.readU32Pair(pa);
  const hi = ram.pairHi;
  dst[0] = lo;
  dst[1] = lo >>> 8;
  dst[2] = lo >>> 16;
  dst[3] = lo >>> 24;
  dst[4] = hi;
  dst[5] = hi >>> 8;
  dst[6] = hi >>> 16;
  dst[7] = hi >>> 24;
  return null;
}

/** userLoad of any length and alignment: page by page, 32-bit reads where aligned. */
function userLoadPages(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, dst: Uint8Array): FaultSignal | null {
  enter(vmm, mm, cpu);
  const ram = vmm.ram;
  const len = dst.length;
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = translateUser(vmm, mm, cpu, va, ACCESS_READ);
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
  const len = src.length;
  const off = (addr >>> 0) & (PAGE_BYTES - 1);
  if ((len === 8 ? off & 7 : len === 4 ? off & 3 : 1) !== 0) return userStorePages(vmm, mm, cpu, addr, src);
  const mmu = vmm.mmu;
  if (mmu === null || (cpu.accBits & USER) === 0 || cpu.cr3 !== mm.pgd) enter(vmm, mm, cpu);
  let pa = mmu!.translatePa(cpu, addr, ACCESS_WRITE);
  if (pa < 0 && (pa = translateUserFault(vmm, mm, cpu, addr, ACCESS_WRITE)) < 0) return vmm.lastSignal;
  const lo = (src[0] | (src[1] << 8) | (src[2] << 16) | (src[3] << 24)) >>> 0;
  if (len === 4) vmm.ram.writeU32(pa, lo);
  else vmm.ram.writeU32Pair(pa, lo, (src[4] | (src[5] << 8) | (src[6] << 16) | (src[7] << 24)) >>> 0);
  return null;
}

/** userStore of any length and alignment: page by page, 32-bit writes where aligned. */
function userStorePages(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, src: Uint8Array): FaultSignal | null {
  enter(vmm, mm, cpu);
  const ram = vmm.ram;
  const len = src.length;
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = translateUser(vmm, mm, cpu, va, ACCESS_WRITE);
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
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = translateUser(vmm, mm, cpu, va, ACCESS_WRITE);
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
  for (let done = 0; done < len; ) {
    const s = src + done;
    const d = dst + done;
    const n = Math.min(4096 - (s % 4096), 4096 - (d % 4096), len - done);
    // the destination first: its write fault may COW-break the source page, whose address stays valid
    const dpa = translateUser(vmm, mm, cpu, d, ACCESS_WRITE);
    if (dpa < 0) return vmm.lastSignal;
    const spa = translateUser(vmm, mm, cpu, s, ACCESS_READ);
    if (spa < 0) return vmm.lastSignal;
    const dpa2 = translateUser(vmm, mm, cpu, d, ACCESS_WRITE);
    if (dpa2 < 0) return vmm.lastSignal;
    vmm.ram.copy(dpa2, spa, n);
    done += n;
  }
  return null;
}
