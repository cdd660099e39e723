// Act: sending a file to a socket (seed 001): read()+write() against mmap()+write() and
// sendfile(), each on a fresh machine, counted from /sys/kernel/debug/mmsim/io, the page faults
// and the simulated clock (@mmsim/kernel's compareCopyMethods; mmsim io runs it with flags).
import { Kernel, compareCopyMethods, formatCopyTable } from "@mmsim/kernel";
import { indent, type Act } from "./act";

const KiB = 1024;
const boot = () => Kernel.boot({ ram: 1024 * 1024 * 1024 });

export const ioAct: Act = {
  title: "Sending a file: read/write vs mmap vs sendfile",
  tryNext: ["mmsim io --size 64KiB --warm", "mmsim run examples/scenarios/seed-001-copy.yaml"],
  run() {
    const o = { size: 64 * KiB, chunk: 4 * KiB };
    let s = "Seed 001: read() then write() of a file to a socket costs 4 mode switches and 4 copies a\n";
    s += "chunk: the disk's DMA into the page cache, the CPU's copy into the user's buffer, the CPU's\n";
    s += "copy into the socket, the NIC's DMA; mmap() saves the copy into the buffer. A 64 KiB file,\n";
    s += "not in the page cache, sent in 4 KiB chunks, each way on a fresh machine:\n\n";
    s += indent(formatCopyTable(compareCopyMethods(boot, o))) + "\n";
    s += "Per chunk read()+write() is exactly the seed's 4 switches and 2 CPU copies. But the disk's\n";
    s += "DMA is per read-ahead request (3 for 16 reads), mmap() pays a fault per page instead of the\n";
    s += "copy (the SSD is still reading each page when the copy reaches it), and sendfile() makes\n";
    s += "no CPU copy at all: the NIC's scatter-gather DMA reads the page-cache pages themselves.\n";
    s += "The file stays in the page cache. Sent again, from the cache:\n\n";
    s += indent(formatCopyTable(compareCopyMethods(boot, { ...o, warm: true }))) + "\n";
    s += "No disk DMA is left; one fault maps all 16 cached pages (fault-around); the program's time\n";
    s += "is now its CPU work, while the 10 Gbit/s link decides when the last byte leaves.\n";
    return s;
  },
};
