// Runs the built mmsim program in this process (dist/program.js's runCli) with a fake CliIo:
// output is captured, files come from a table (never from the host), so thousands of command
// lines run in seconds. The spawned-binary tests (run-cli.ts) cover the bin itself.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CliIo } from "../src/io";
import type { runCli as RunCli } from "../src/program";

export const PROGRAM = fileURLToPath(new URL("../dist/program.js", import.meta.url));

export interface InProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

let runCli: typeof RunCli | undefined;

/** Runs `argv` in-process; `files` maps paths to contents (any other path is ENOENT). */
export async function mmsimInProcess(argv: string[], files: Record<string, string> = {}, env: Record<string, string> = {}): Promise<InProcessResult> {
  if (!runCli) {
    if (!existsSync(PROGRAM)) throw new Error(`${PROGRAM} is missing: run "pnpm --filter @mmsim/cli build" first`);
    ({ runCli } = (await import(pathToFileURL(PROGRAM).href)) as { runCli: typeof RunCli });
  }
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    readFile(path, maxBytes) {
      if (!Object.hasOwn(files, path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      const text = files[path]!;
      const size = new TextEncoder().encode(text).length;
      if (size > maxBytes) throw Object.assign(new Error(`${size} bytes`), { code: "EFBIG", size });
      return text;
    },
    env,
  };
  const status = await runCli(argv, io);
  return { status, stdout, stderr };
}
