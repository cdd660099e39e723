// /proc/<pid>/cmdline, environ and auxv (fs/proc/base.c get_mm_cmdline, environ_read,
// proc_pid_auxv): the argument and environment strings read back from the task's memory between
// the bounds exec recorded in its mm (arg_start..arg_end, env_start..env_end), and mm->saved_auxv
// as 8-byte little-endian words. A task that never exec'd has empty bounds: all three are empty.
// Not modelled: access_remote_vm faulting in a page that is not present (the read stops there).
import { ptePfn, type MmStruct, type VirtualMemory } from "@mmsim/virtual";

const PAGE_SIZE = 4096;
const decoder = new TextDecoder();

/**
 * access_remote_vm without faulting: up to `len` bytes of mm's memory at addr, read through its
 * page tables; fewer when a page on the way is not present.
 */
export function accessRemoteVm(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number): Uint8Array {
  const out = new Uint8Array(Math.max(0, len));
  let done = 0;
  while (done < out.length) {
    const va = addr + done;
    const pfn = ptePfn(vmm, mm, va);
    if (pfn < 0) break;
    const off = va % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - off, out.length - done);
    out.set(vmm.ram.read(pfn * PAGE_SIZE + off, n), done);
    done += n;
  }
  return out.subarray(0, done);
}

/**
 * get_mm_cmdline: the argument strings, NUL-separated as on the stack. When the byte before
 * arg_end is not NUL (setproctitle wrote a title over argv), the title is read instead: from
 * arg_start up to its NUL, within a page (get_mm_proctitle), as Linux does.
 */
export function procPidCmdline(vmm: VirtualMemory, mm: MmStruct | null): Uint8Array {
  if (mm === null || mm.argStart >= mm.argEnd) return new Uint8Array(0);
  const last = accessRemoteVm(vmm, mm, mm.argEnd - 1, 1);
  if (last.length === 1 && last[0] !== 0) {
    // get_mm_proctitle: one page from arg_start, up to and including the first NUL
    const bytes = accessRemoteVm(vmm, mm, mm.argStart, PAGE_SIZE);
    const nul = bytes.indexOf(0);
    return nul < 0 ? bytes : bytes.subarray(0, nul + 1);
  }
  return accessRemoteVm(vmm, mm, mm.argStart, mm.argEnd - mm.argStart);
}

/** environ_read: the environment strings [env_start, env_end), NUL-terminated each. */
export function procPidEnviron(vmm: VirtualMemory, mm: MmStruct | null): Uint8Array {
  if (mm === null || mm.envStart >= mm.envEnd) return new Uint8Array(0);
  return accessRemoteVm(vmm, mm, mm.envStart, mm.envEnd - mm.envStart);
}

/**
 * proc_pid_auxv: saved_auxv up to and including its AT_NULL pair, each word 8 bytes
 * little-endian. An mm exec never filled holds zeros: one AT_NULL pair (16 zero bytes).
 */
export function procPidAuxv(mm: MmStruct | null): Uint8Array {
  if (mm === null) return new Uint8Array(0);
  const auxv = mm.savedAuxv;
  let nwords = 0;
  do nwords += 2;
  while ((auxv[nwords - 2] ?? 0) !== 0);
  const out = new Uint8Array(nwords * 8);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < nwords; i++) {
    const v = auxv[i] ?? 0;
    dv.setUint32(i * 8, v % 4294967296, true);
    dv.setUint32(i * 8 + 4, Math.floor(v / 4294967296), true);
  }
  return out;
}

/** The text of a byte file as cat prints it (NULs kept). */
export function bytesText(b: Uint8Array): string {
  return decoder.decode(b);
}

/** read(2) at an offset of a whole-file byte image (seq_file-like: the file rendered afresh each read). */
export function sliceRead(b: Uint8Array, offset: number, count: number): Uint8Array {
  return b.slice(Math.min(offset, b.length), Math.min(offset + count, b.length));
}
