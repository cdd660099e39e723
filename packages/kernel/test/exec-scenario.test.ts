// examples/scenarios/exec.yaml: the built-in program's layout under setarch -R (every expect in
// the file holds, with --verify), then the same program with ASLR away from those addresses.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";

function section(out: string, cmd: string): string {
  const i = out.indexOf(`$ ${cmd}\n`);
  const rest = out.slice(i + cmd.length + 3);
  const j = rest.indexOf("\n$ ");
  return j < 0 ? rest : rest.slice(0, j + 1);
}

describe("examples/scenarios/exec.yaml", () => {
  it("runs with every expectation met and --verify", () => {
    const text = readFileSync(new URL("../../../examples/scenarios/exec.yaml", import.meta.url), "utf8");
    const out = formatResults(runScenario(loadScenario(text, "exec.yaml"), { verify: true }).results);
    expect(out).toContain("$ cat /proc/sys/kernel/randomize_va_space\n2\n");
    expect(section(out, "cat /proc/aslr/maps")).not.toContain("555555554000");
  });
});
