// The network device and sockets as a kernel module: one NIC (eth0, 10 Gbit/s Ethernet, a
// hardware Nic whose wire keeps its first WIRE_CAPTURE_BYTES for tests and scenarios) and the
// NetStack of @mmsim/virtual on the file module's filesystem (sockets are files of the same
// descriptor tables). Steps socket and sendfile; write and close on a socket are the file steps.
// Its counters (mmsim_net_*) are printed with the I/O path's in /sys/kernel/debug/mmsim/io.
import { BUG } from "@mmsim/base";
import { Nic } from "@mmsim/hardware";
import { NetStack, verifyNet } from "@mmsim/virtual";
import type { Kernel } from "../kernel";
import { defineModule } from "../module";
import { NET_STEPS } from "../scenario/steps-net";
import { fileKernelOf } from "../scenario/steps-file";

/** Bytes of the wire the NIC keeps for inspection (the store step's 64 MiB bound: host memory). */
export const WIRE_CAPTURE_BYTES = 64 * 1024 * 1024;

/** The network layer of one machine. */
export class NetKernel {
  readonly nic: Nic;
  readonly net: NetStack;

  constructor(k: Kernel) {
    this.nic = new Nic(k.hw.ram, { captureLimit: WIRE_CAPTURE_BYTES });
    this.net = new NetStack(fileKernelOf(k).fs, this.nic);
  }
}

/** The network layer of a booted kernel (the module named "net"). */
export function netKernelOf(k: Kernel): NetKernel {
  for (const [m, layer] of k.moduleLayers()) if (m.name === "net") return layer as NetKernel;
  return BUG("netKernelOf", "this kernel has no net module");
}

export const netModule = defineModule<NetKernel>({
  name: "net",
  init(k) {
    return new NetKernel(k);
  },
  verify(nk) {
    verifyNet(nk.net);
  },
  steps: NET_STEPS,
});
