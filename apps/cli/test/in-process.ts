// Runs the built mmsim program in this process (dist/program.js's runCli) with a fake CliIo:
// output is captured, files come from a table (never from the host) and files the program
// writes go into that table, so thousands of command lines run in seconds. The
// spawned-binary tests (run-cli.ts) cover the bin itself.
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

/**
 * Runs `argv` in-process; `files` maps paths to contents (any other path is ENOENT, a path
 * ending in "/" is a directory). Files the program writes land in `files` (bytes decoded as
 * UTF-8); `isTTY` is what the program sees as stderr's.
 */
export async function mmsimInProcess(argv: string[], files: Record<string, string> = {}, env: Record<string, string> = {}, isTTY = false): Promise<InProcessResult> {
  if (!runCli) {
    if (!existsSync(PROGRAM)) throw new Error(`${PROGRAM} is missing: run "pnpm --filter @mmsim/cli build" first`);
    ({ runCli } = (await import(pathToFileURL(PROGRAM).href)) as { runCli: typeof RunCli });
  }
  let stdout = "";
  let stderr = "";
  const text = (data: string | Uint8Array) => (typeof data === "string" ? data : new TextDecoder().decode(data));
  const writable = (path: string) => {
    if (path.endsWith("/")) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" });
  };
  const io: CliIo = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    isTTY,
    readFile(path, maxBytes) {
      if (path.endsWith("/") && Object.hasOwn(files, path)) throw Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" });
      if (!Object.hasOwn(files, path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      const text = files[path]!;
      const size = new TextEncoder().encode(text).length;
      if (size > maxBytes) throw Object.assign(new Error(`${size} bytes`), { code: "EFBIG", size });
      return text;
    },
    writeFile(path, data) {
      writable(path);
      files[path] = text(data);
    },
    createFile(path) {
      writable(path);
      files[path] = "";
      return { write: (data) => void (files[path] += text(data)), close: () => {} };
    },
    env,
  };
  const status = await runCli(argv, io);
  return { status, stdout, stderr };
}
