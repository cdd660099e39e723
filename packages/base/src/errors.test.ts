import { describe, expect, it } from "vitest";
import { BUG, BUG_ON, Bug, Errno, InputError, KernelBug, MmsimError, err, ok } from "./errors";

describe("Bug", () => {
  it("BUG throws a Bug whose message is 'fn: detail'", () => {
    let caught: unknown;
    try {
      BUG("mappages", "remap");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Bug);
    expect(caught).toBeInstanceOf(MmsimError);
    expect(caught).toBeInstanceOf(Error);
    const b = caught as Bug;
    expect(b.message).toBe("mappages: remap");
    expect(b.fn).toBe("mappages");
    expect(b.detail).toBe("remap");
    expect(b.name).toBe("Bug");
    expect(String(b)).toBe("Bug: mappages: remap");
  });

  it("BUG_ON throws only when the condition holds", () => {
    expect(() => BUG_ON(false, "__free_one_page", "double free")).not.toThrow();
    expect(() => BUG_ON(true, "__free_one_page", "pfn 12 already free")).toThrow(
      new Bug("__free_one_page", "pfn 12 already free"),
    );
  });
});

describe("InputError", () => {
  it.each([
    [{}, "expected a number"],
    [{ field: "machine.ram" }, "machine.ram: expected a number"],
    [{ file: "boot.yaml" }, "boot.yaml: expected a number"],
    [{ line: 7 }, "line 7: expected a number"],
    [{ line: 7, column: 3 }, "line 7:3: expected a number"],
    [{ file: "boot.yaml", line: 7 }, "boot.yaml:7: expected a number"],
    [{ file: "boot.yaml", line: 7, column: 3 }, "boot.yaml:7:3: expected a number"],
    [{ file: "boot.yaml", line: 7, field: "steps[2].order" }, "boot.yaml:7: steps[2].order: expected a number"],
    [{ file: "boot.yaml", column: 3 }, "boot.yaml: expected a number"],
  ])("locates %j as %j", (where, message) => {
    const e = new InputError("expected a number", where);
    expect(e.message).toBe(message);
    expect(e.problem).toBe("expected a number");
    expect(e.name).toBe("InputError");
    expect(e).toBeInstanceOf(MmsimError);
  });

  it("at() fills in outer location without overriding what the inner error knew", () => {
    const inner = new InputError("order must be 0..10", { field: "steps[2].order" });
    const located = inner.at({ file: "scenario.yaml", line: 14, field: "steps" });
    expect(located.message).toBe("scenario.yaml:14: steps[2].order: order must be 0..10");
    expect(located.where).toEqual({ file: "scenario.yaml", line: 14, field: "steps[2].order" });
    expect(inner.message).toBe("steps[2].order: order must be 0..10");
    const noField = new InputError("bad", { field: undefined }).at({ field: "ram" });
    expect(noField.message).toBe("ram: bad");
  });
});

describe("Errno and Result", () => {
  it("uses Linux's errno numbers (include/uapi/asm-generic/errno-base.h)", () => {
    expect(Errno).toEqual({
      EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14,
      EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSPC: 28, ERANGE: 34,
    });
  });

  it("ok and err build tagged results", () => {
    expect(ok(4096)).toEqual({ ok: true, value: 4096 });
    expect(err("ENOMEM")).toEqual({ ok: false, errno: "ENOMEM" });
  });
});

describe("KernelBug", () => {
  const report = ["------------[ cut here ]------------", "kernel BUG at mm/slub.c:447!"];

  it("is an InputError (CLI exit 2) carrying Linux's report and the detecting function", () => {
    const e = new KernelBug("double free of 0xffff888003a1b040 (kmalloc-64)", report, "set_freepointer");
    expect(e).toBeInstanceOf(InputError);
    expect(e).toBeInstanceOf(MmsimError);
    expect(e.name).toBe("KernelBug");
    expect(e.message).toBe("double free of 0xffff888003a1b040 (kmalloc-64)");
    expect(e.report).toEqual(report);
    expect(e.fn).toBe("set_freepointer");
  });

  it("at() keeps the class, the report and the function, and adds the location", () => {
    const e = new KernelBug("double free", report, "set_freepointer").at({ file: "df.yaml", line: 9, field: "steps[3]" });
    expect(e).toBeInstanceOf(KernelBug);
    expect(e.message).toBe("df.yaml:9: steps[3]: double free");
    expect(e.report).toEqual(report);
    expect(e.fn).toBe("set_freepointer");
    expect(e.where).toEqual({ file: "df.yaml", line: 9, field: "steps[3]" });
  });
});
