// The kernel's modules in boot order, one line per layer (ARCHITECTURE §1). Adding a layer
// (virtual memory, reclaim) is adding its module file and one line here.
import type { KernelModule } from "../module";
import { coreModule } from "./core";
import { execModule } from "./exec";
import { fileModule } from "./file";
import { kernelAllocModule } from "./kernel-alloc";
import { netModule } from "./net";
import { physicalModule } from "./physical";
import { userlandModule } from "./userland";
import { virtualModule } from "./virtual";

export const KERNEL_MODULES: readonly KernelModule[] = [
  coreModule,
  physicalModule,
  kernelAllocModule,
  virtualModule,
  fileModule,
  netModule,
  userlandModule,
  execModule,
];
