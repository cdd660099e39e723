// copy_to_user / copy_from_user (include/linux/uaccess.h, arch/x86/lib): the kernel's copies
// between a user buffer and kernel memory (the page cache), page by page. Each user page is
// translated by the task's MMU on its CPU with the user's permissions (what SMAP's stac/clac
// window and access_ok amount to) and faulted in when needed (do_user_addr_fault); a page that
// cannot be faulted in ends the copy, and the caller turns the short copy into EFAULT (the
// exception-table fixup: no signal). The bytes move by Ram.copy, a CPU copy counted in
// ram.cpuCopyBytes.
import { BUG } from "@mmsim/base";
import { ACCESS_READ, ACCESS_WRITE } from "@mmsim/hardware";
import type { Cpu } from "@mmsim/hardware";
import type { MmStruct } from "../mm-types";
import type { VirtualMemory } from "../virtual-memory";
import { doUserAddrFault } from "../fault";
import { switchMm } from "../pte";

/** Faults one access may take before it is a Bug (a resolved fault must let the retry through). */
const MAX_FAULT_RETRIES = 4;
const PAGE_BYTES = 4096;

/** The physical address of user `va` for `access`, faulting it in; -1 when that fails. */
export function userPa(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, va: number, access: number): number {
  const mmu = vmm.mmu ?? BUG("copy_to_user", "VirtualMemory was built without an MMU (config.mmu)");
  if (cpu.cr3 !== mm.pgd) switchMm(mm, cpu);
  cpu.mode = "user";
  for (let tries = 0; ; tries++) {
    const pa = mmu.translatePa(cpu, va, access);
    if (pa >= 0) return pa;
    if (tries === MAX_FAULT_RETRIES) BUG("copy_to_user", `fault at 0x${va.toString(16)} does not resolve`);
    if (doUserAddrFault(vmm, mm, cpu.lastFaultCode, va) !== null) return -1;
  }
}

/** copy_to_user: len bytes of RAM at srcPa to user addr. Returns the bytes NOT copied (0: all). */
export function copyToUser(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, srcPa: number, len: number): number {
  const ram = vmm.ram;
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = userPa(vmm, mm, cpu, va, ACCESS_WRITE);
    if (pa < 0) return len - done;
    const n = Math.min(PAGE_BYTES - (va % PAGE_BYTES), len - done);
    ram.copy(pa, srcPa + done, n);
    done += n;
  }
  return 0;
}

/** copy_from_user: len bytes at user addr to RAM at dstPa. Returns the bytes NOT copied. */
export function copyFromUser(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, dstPa: number, addr: number, len: number): number {
  const ram = vmm.ram;
  for (let done = 0; done < len; ) {
    const va = addr + done;
    const pa = userPa(vmm, mm, cpu, va, ACCESS_READ);
    if (pa < 0) return len - done;
    const n = Math.min(PAGE_BYTES - (va % PAGE_BYTES), len - done);
    ram.copy(dstPa + done, pa, n);
    done += n;
  }
  return 0;
}

/** fault_in_readable: faults in the user pages of [addr, addr + len) for reading. Returns the bytes NOT faulted in. */
export function faultInReadable(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, len: number): number {
  for (let done = 0; done < len; ) {
    const va = addr + done;
    if (userPa(vmm, mm, cpu, va, ACCESS_READ) < 0) return len - done;
    done += Math.min(PAGE_BYTES - (va % PAGE_BYTES), len - done);
  }
  return 0;
}
