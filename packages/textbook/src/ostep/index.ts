/**
 * The OSTEP homework simulators mmsim reproduces, by script name, and the runner that gives a
 * script's streams and exit status as `python3 SCRIPT.py ARGS` would.
 */
import { CollectIo, runPython } from "../py-io";
import type { ProgramResult, PyIo } from "../py-io";
import type { OstepEnv } from "./common";
import { relocation } from "./relocation";
import { segmentation } from "./segmentation";
import { pagingLinearTranslate } from "./paging-linear-translate";
import { pagingMultilevelTranslate } from "./paging-multilevel-translate";
import { pagingPolicy } from "./paging-policy";
import { malloc } from "./malloc";

type Script = (argv: readonly string[], io: PyIo, env: OstepEnv) => void;

/** Script name (without .py) to its simulator, in the book's chapter order. */
const SCRIPTS: Record<string, Script> = {
  relocation,
  segmentation,
  malloc,
  "paging-linear-translate": pagingLinearTranslate,
  "paging-multilevel-translate": pagingMultilevelTranslate,
  "paging-policy": pagingPolicy,
};

/** The scripts `runOstep` knows, without `.py`. */
export const OSTEP_SCRIPTS: readonly string[] = Object.keys(SCRIPTS);

/** "relocation.py" or "relocation" to "relocation", or null for a script mmsim does not have. */
export function ostepScriptName(script: string): string | null {
  const name = script.endsWith(".py") ? script.slice(0, -3) : script;
  return Object.hasOwn(SCRIPTS, name) ? name : null;
}

/**
 * Runs an OSTEP script on `argv` (the arguments after the script name). stdout goes to `sink`
 * in blocks when given (else it is returned whole); the exit status is the script's. Returns
 * null if the script is unknown.
 */
export function runOstep(script: string, argv: readonly string[], env: OstepEnv = {}, sink?: (text: string) => void): ProgramResult | null {
  const name = ostepScriptName(script);
  if (name === null) return null;
  const io = new CollectIo(sink);
  const status = runPython(() => SCRIPTS[name](argv, io, env), io);
  io.flush();
  return { stdout: io.stdout, stderr: io.stderr, status };
}
