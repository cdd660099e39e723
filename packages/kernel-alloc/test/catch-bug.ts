// Runs a call that must throw KernelBug and returns the error, for tests of bad frees.
import { KernelBug } from "@mmsim/base";

export function catchBug(f: () => void): KernelBug {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelBug) return e;
    throw e;
  }
  throw new Error("expected a KernelBug");
}
