// csim-ref's command line and trace reading, as its binary (cachelab csim-ref, disassembled)
// does them: getopt "s:E:b:t:vh", usage on every error with exit status 0, fgets of 999 bytes,
// sscanf(buf + 3, "%llx,%u") that keeps the previous address when it fails.
import { describe, expect, it } from "vitest";
import { InputError } from "@mmsim/base";
import { csimUsage, runCsim } from "./csim";

const enc = new TextEncoder();
const files = (map: Record<string, string>) => (path: string) => (path in map ? enc.encode(map[path]) : "No such file or directory");
const yi = " L 10,1\n M 20,1\n L 22,1\n S 18,1\n L 110,1\n L 210,1\n M 12,1\n";

describe("csim command line", () => {
  it("prints the usage for -h with the program name, exit status 0", () => {
    const r = runCsim(["-h"], files({}), "./csim-ref");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(csimUsage("./csim-ref"));
    expect(r.stdout.split("\n")[0]).toBe("Usage: ./csim-ref [-hv] -s <num> -E <num> -b <num> -t <file>");
    expect(r.stdout).toContain("\nExamples:\n  linux>  ./csim-ref -s 4 -E 1 -b 4 -t traces/yi.trace\n");
  });

  it("reports a missing argument on stdout, then the usage (still status 0); -s 0 counts as missing", () => {
    for (const argv of [["-s", "4", "-E", "1", "-b", "4"], ["-s", "0", "-E", "1", "-b", "4", "-t", "x"], ["-s", "x", "-E", "1", "-b", "4", "-t", "x"]]) {
      const r = runCsim(argv, files({}), "csim");
      expect(r.stdout).toBe("csim: Missing required command line argument\n" + csimUsage("csim"));
      expect(r.status).toBe(0);
    }
  });

  it("reports getopt's errors on stderr: invalid option, option requires an argument", () => {
    expect(runCsim(["-x"], files({}), "csim")).toMatchObject({ stderr: "csim: invalid option -- 'x'\n", stdout: csimUsage("csim"), status: 0 });
    expect(runCsim(["-s", "1", "-t"], files({}), "csim")).toMatchObject({ stderr: "csim: option requires an argument -- 't'\n", status: 0 });
    expect(runCsim(["--help"], files({}), "csim").stderr).toBe("csim: invalid option -- '-'\n");
  });

  it("takes clustered and attached values, options after operands, and stops at --", () => {
    const f = files({ t: yi });
    expect(runCsim(["-vs4", "-E1", "extra", "-b", "4", "-tt"], f).stdout).toMatch(/^L 10,1 miss \n/);
    expect(runCsim(["-s", "4", "-E", "1", "-b", "4", "--", "-t", "t"], f, "csim").stdout).toMatch(/^csim: Missing required/);
  });

  it("parses -s/-E/-b with atoi (leading digits count: -s 4abc is 4)", () => {
    expect(runCsim(["-s", "4abc", "-E", " 1", "-b", "+4", "-t", "t"], files({ t: yi })).stdout).toBe("hits:4 misses:5 evictions:3\n");
  });

  it("fails on a missing trace with strerror on stderr and status 1", () => {
    expect(runCsim(["-s", "1", "-E", "1", "-b", "1", "-t", "nope"], files({}))).toEqual({
      stdout: "",
      stderr: "nope: No such file or directory\n",
      status: 1,
      csimResults: null,
    });
  });

  it("refuses negative geometry (undefined behaviour in the original) with an InputError", () => {
    expect(() => runCsim(["-s", "-1", "-E", "1", "-b", "1", "-t", "t"], files({ t: yi }))).toThrow(InputError);
  });
});

describe("csim trace reading", () => {
  const run = (trace: string, extra: string[] = []) => runCsim(["-v", "-s", "4", "-E", "1", "-b", "4", ...extra, "-t", "t"], files({ t: trace })).stdout;

  it("ignores I lines and any line whose second byte is not S, L or M", () => {
    expect(run("I  0400d7d4,8\n L 10,1\nL 20,1\n  S 30,1\n\n")).toBe("L 10,1 miss \nhits:0 misses:1 evictions:0\n");
  });

  it("reads 64-bit addresses, 0x prefixes and sizes as %llx,%u", () => {
    expect(run(" L 7ff000398,8\n S 0x7ff000398,4294967295\n")).toBe("L 7ff000398,8 miss \nS 7ff000398,4294967295 hit \nhits:1 misses:1 evictions:0\n");
  });

  it("saturates an address above 64 bits, wraps a negative one and a negative size", () => {
    expect(run(" L 1ffffffffffffffff,1\n L -1,-1\n")).toBe("L ffffffffffffffff,1 miss \nL ffffffffffffffff,4294967295 hit \nhits:1 misses:1 evictions:0\n");
  });

  it("keeps the previous address and size when sscanf fails (csim-ref never resets them)", () => {
    expect(run(" L 40,2\n S zz\n L 50\n")).toBe("L 40,2 miss \nS 40,2 hit \nL 50,2 miss \nhits:1 misses:2 evictions:0\n");
  });

  it("reads a line longer than 999 bytes as several fgets chunks", () => {
    const long = " L 10," + "1".repeat(1200) + "\n L 20,1\n";
    // chunk 1 parses size 1...1 (saturated); chunk 2 starts "111..." (byte 1 is '1', skipped)
    expect(run(long)).toBe("L 10,4294967295 miss \nL 20,1 miss \nhits:0 misses:2 evictions:0\n");
  });

  it("writes the .csim_results text the lab's driver reads", () => {
    expect(runCsim(["-s", "4", "-E", "1", "-b", "4", "-t", "t"], files({ t: yi })).csimResults).toBe("4 5 3\n");
  });
});
