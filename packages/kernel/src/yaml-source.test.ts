import { describe, expect, it } from "vitest";
import { InputError } from "@mmsim/base";
import { inputError } from "../test/input-error";
import { MAX_YAML_EXPANDED_NODES, MAX_YAML_BYTES, MAX_YAML_LIST_ITEMS, parseFieldPath, YamlSource } from "./yaml-source";

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

describe("YamlSource resource limits (hostile documents are input errors naming the file)", () => {
  const steps = (n: number) => "steps:\n  - &s { cat: /proc/buddyinfo }\n" + "  - *s\n".repeat(n);

  it("expands an anchored step aliased far more than yaml's default 100 times", () => {
    const src = new YamlSource(steps(5000), "many.yaml");
    const list = (src.value as { steps: unknown[] }).steps;
    expect(list).toHaveLength(5001);
    expect(list[5000]).toEqual({ cat: "/proc/buddyinfo" });
  });

  it(`stops an alias bomb past ${MAX_YAML_EXPANDED_NODES} expanded nodes, naming the line where it got there`, () => {
    // each level aliases the one before ten times: a{i} stands for 1 + 10 * a{i-1} nodes
    // (a0: 11, a1: 111, ...), so a5 on line 6 stands for 1,111,111, past 10^6
    let text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i <= 8; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`;
    expect(inputError(() => new YamlSource(text, "bomb.yaml"))).toBe(
      `bomb.yaml:6: invalid YAML: aliases expand the document to more than ${MAX_YAML_EXPANDED_NODES} nodes (an alias bomb?)`,
    );
    // a0..a4 (123,455 nodes in all) are fine, and the aliases share one value
    const five = new YamlSource(text.split("\n").slice(0, 5).join("\n"), "five.yaml").value as Record<string, unknown[]>;
    expect(five.a4![0]).toBe(five.a3);
  });

  it("keeps __proto__ as an ordinary key and resolves an anchored key", () => {
    const v = new YamlSource("__proto__: { polluted: 1 }\n&k cat: 1\n*k : 2\n", "p.yaml").value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(["__proto__", "cat"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("names an alias without an anchor and its line", () => {
    expect(inputError(() => new YamlSource("steps:\n  - cat: /proc/buddyinfo\n  - *nowhere\n", "s.yaml"))).toBe("s.yaml:3: invalid YAML: alias *nowhere refers to no anchor &nowhere before it");
  });

  it("rejects 5000-deep nesting as too deep, with the line", () => {
    expect(inputError(() => new YamlSource("steps:\n  - cat: " + "[".repeat(5000) + "]".repeat(5000) + "\n", "deep.yaml"))).toMatch(
      /^deep\.yaml:2: invalid YAML: nested too deeply \(lists or mappings inside each other, thousands of levels\)$/,
    );
    expect(inputError(() => new YamlSource("- ".repeat(5000) + "x\n", "dash.yaml"))).toMatch(/^dash\.yaml:1: invalid YAML: nested too deeply/);
  });

  it(`refuses a text over ${MAX_YAML_BYTES} bytes before parsing it, counting UTF-8 bytes`, () => {
    expect(MAX_YAML_BYTES).toBe(1024 * 1024);
    const at = "#".repeat(MAX_YAML_BYTES - 1) + "\n";
    expect(new YamlSource(at, "limit.yaml").value).toBeNull();
    expect(inputError(() => new YamlSource(at + "x", "big.yaml"))).toBe(`big.yaml: too large: ${MAX_YAML_BYTES + 1} bytes of YAML; mmsim reads at most ${MAX_YAML_BYTES} bytes (1MiB)`);
    // 400,000 three-byte characters: 1.2 MB although only 400,000 characters
    expect(inputError(() => new YamlSource("# " + "€".repeat(400_000), "utf8.yaml"))).toBe(`utf8.yaml: too large: 1200002 bytes of YAML; mmsim reads at most ${MAX_YAML_BYTES} bytes (1MiB)`);
  });
});

describe("YamlSource list limit", () => {
  it(`refuses a list of ${MAX_YAML_LIST_ITEMS} + 1 steps, naming the list's line`, () => {
    // (parsing 100,000 lines takes the yaml parser seconds: the 5,000-alias test above covers acceptance)
    const text = (n: number) => "machine: {}\nsteps:\n  - &s { cat: /proc/buddyinfo }\n" + "  - *s\n".repeat(n - 1);
    expect(inputError(() => new YamlSource(text(MAX_YAML_LIST_ITEMS + 1), "over.yaml"))).toBe(
      `over.yaml:3: too many items: the list of ${MAX_YAML_LIST_ITEMS + 1}; mmsim reads lists (scenario steps included) of at most ${MAX_YAML_LIST_ITEMS} items`,
    );
  }, 60_000);
});
