#!/usr/bin/env node
// mmsim's bin: runs the program (program.ts, where the commands are registered) on this
// process's arguments, with the real stdout, stderr and files, and sets the exit code.
import { runCli } from "./program";
import { nodeIo } from "./io";

process.exitCode = await runCli(process.argv.slice(2), nodeIo());
