// Sysctl's errors carry the key they are about in `where.field`, so a caller (the CLI, a
// scenario runner) can point at the line of its own input without parsing the message.
import { describe, expect, it } from "vitest";
import { InputError, MiB } from "@mmsim/base";
import { Kernel } from "./kernel";

function thrown(f: () => unknown): InputError {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("Sysctl errors name their key in where.field", () => {
  const k = Kernel.boot({ ram: 64 * MiB });
  const known = k.sysctl.names().join(", ");

  it("an unknown key: field is the key exactly as given, the problem lists the known names", () => {
    const e = thrown(() => k.sysctl.resolve(" vm/frob "));
    expect(e.where).toEqual({ field: " vm/frob " });
    expect(e.problem).toBe(`unknown sysctl; known: ${known}`);
    expect(e.message).toBe(` vm/frob : unknown sysctl; known: ${known}`);
  });

  it("set() of an unknown key throws the same error and writes nothing", () => {
    const before = k.cat("/proc/sys/vm/watermark_scale_factor");
    const e = thrown(() => k.sysctl.set({ "vm.watermark_scale_factor": "30", "/proc/sys/vm/nope": "1" }));
    expect(e.where).toEqual({ field: "/proc/sys/vm/nope" });
    expect(k.cat("/proc/sys/vm/watermark_scale_factor")).toBe(before);
  });

  it("a rejected value: field is the knob's dotted name, whatever spelling was used", () => {
    const e = thrown(() => k.sysctl.set({ min_free_kbytes: "-5" }));
    expect(e.where).toEqual({ field: "vm.min_free_kbytes" });
  });
});
