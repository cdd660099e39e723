import { describe, expect, it } from "vitest";
import { InputError } from "@mmsim/base";
import { parseFieldPath, YamlSource } from "./yaml-source";

describe("YamlSource", () => {
  const text = "machine:\n  ram: 8GiB\nsteps:\n  - cat: /proc/buddyinfo\n  - sysctl:\n      vm.min_free_kbytes: 1\n";

  it("maps a field path to its 1-based line", () => {
    const src = new YamlSource(text, "s.yaml");
    expect(src.lineOf(["machine", "ram"])).toBe(2);
    expect(src.lineOf(["steps", 0])).toBe(4);
    expect(src.lineOf(["steps", 1, "sysctl", "vm.min_free_kbytes"])).toBe(6);
    expect(src.lineOf(["steps", 9])).toBe(4); // a missing item: its closest ancestor, the list
  });

  it("reports a YAML syntax error with the file and line", () => {
    expect(() => new YamlSource("machine: {ram: 8G\nsteps: []\n", "bad.yaml")).toThrow(InputError);
    let caught: unknown;
    try {
      new YamlSource("a: 1\nb: [1, 2\n", "bad.yaml");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).where.file).toBe("bad.yaml");
    expect((caught as InputError).message).toMatch(/^bad\.yaml:\d+: invalid YAML: /);
  });

  it("splits dotted field paths with indices", () => {
    expect(parseFieldPath("steps[2].alloc_pages.order")).toEqual(["steps", 2, "alloc_pages", "order"]);
  });
});
