/**
 * Python 3.11's optparse.OptionParser as the OSTEP scripts use it: store / store_true options
 * of type int or string, interspersed positional arguments, clustered short options, long
 * options by unique prefix, `--` to stop, the automatic -h/--help, the help text of
 * IndentedHelpFormatter (width from $COLUMNS) and the usage-plus-error exits (status 2).
 * Not modelled: option groups, callbacks, nargs > 1, choice/float/complex types.
 */
import { PyException } from "./py-random";
import { pyIntBig, pyRepr } from "./py-format";
import { wrap } from "./internal/textwrap";
import type { PyIo } from "./py-io";
import { PyExit } from "./py-io";

/** One add_option(...) call. A value option has `type`; a flag (store_true) has none. */
export interface OptionSpec {
  short?: string;
  long?: string;
  dest: string;
  type?: "int" | "string";
  default: string | number | boolean;
  help: string;
}

export type OptionValues = Record<string, string | number | bigint | boolean>;

/** IndentedHelpFormatter's defaults (optparse.py). */
const INDENT_INCREMENT = 2;
const MAX_HELP_POSITION = 24;
const DEFAULT_WIDTH = 80;
const MIN_HELP_WIDTH = 11;

const HELP: OptionSpec = { short: "-h", long: "--help", dest: "help", default: false, help: "show this help message and exit" };

/** An OptionParser for the program `prog` (printed in usage and errors as %prog). */
export class OptionParser {
  private readonly options: OptionSpec[];

  constructor(
    private readonly prog: string,
    specs: OptionSpec[],
  ) {
    this.options = [HELP, ...specs];
  }

  /**
   * parse_args(argv): the values (defaults overridden in order) and the positional arguments.
   * -h prints the help to stdout and exits 0; a bad option prints usage and the error to
   * stderr and exits 2 (both by throwing PyExit after writing to `io`).
   */
  parseArgs(argv: readonly string[], io: PyIo, env: { COLUMNS?: string } = {}): { values: OptionValues; args: string[] } {
    const values: OptionValues = {};
    for (const o of this.options) if (o !== HELP) values[o.dest] = o.default;
    const rargs = [...argv];
    const largs: string[] = [];
    while (rargs.length > 0) {
      const arg = rargs[0];
      if (arg === "--") {
        rargs.shift();
        break;
      } else if (arg.startsWith("--")) {
        this.processLongOpt(rargs, values, io, env);
      } else if (arg.startsWith("-") && arg.length > 1) {
        this.processShortOpts(rargs, values, io, env);
      } else {
        largs.push(arg);
        rargs.shift();
      }
    }
    return { values, args: [...largs, ...rargs] };
  }

  private processLongOpt(rargs: string[], values: OptionValues, io: PyIo, env: { COLUMNS?: string }): void {
    const arg = rargs.shift()!;
    let opt = arg;
    let explicit = false;
    const eq = arg.indexOf("=");
    if (eq >= 0) {
      opt = arg.slice(0, eq);
      rargs.unshift(arg.slice(eq + 1));
      explicit = true;
    }
    opt = this.matchLongOpt(opt, io);
    const option = this.options.find((o) => o.long === opt)!;
    let value: string | null = null;
    if (option.type) {
      if (rargs.length < 1) this.error(`${opt} option requires 1 argument`, io);
      value = rargs.shift()!;
    } else if (explicit) {
      this.error(`${opt} option does not take a value`, io);
    }
    this.process(option, opt, value, values, io, env);
  }

  private processShortOpts(rargs: string[], values: OptionValues, io: PyIo, env: { COLUMNS?: string }): void {
    const arg = rargs.shift()!;
    for (let i = 1; i < arg.length; i++) {
      const opt = "-" + arg[i];
      const option = this.options.find((o) => o.short === opt);
      if (!option) this.error(`no such option: ${opt}`, io);
      let value: string | null = null;
      let stop = false;
      if (option.type) {
        if (i + 1 < arg.length) {
          rargs.unshift(arg.slice(i + 1));
          stop = true;
        }
        if (rargs.length < 1) this.error(`${opt} option requires 1 argument`, io);
        value = rargs.shift()!;
      }
      this.process(option, opt, value, values, io, env);
      if (stop) break;
    }
  }

  /** _match_abbrev: an exact long option, or the only one it is a prefix of. */
  private matchLongOpt(opt: string, io: PyIo): string {
    const longs = this.options.map((o) => o.long).filter((l): l is string => l !== undefined);
    if (longs.includes(opt)) return opt;
    const possible = longs.filter((l) => l.startsWith(opt));
    if (possible.length === 1) return possible[0];
    if (possible.length === 0) this.error(`no such option: ${opt}`, io);
    possible.sort();
    this.error(`ambiguous option: ${opt} (${possible.join(", ")}?)`, io);
  }

  private process(option: OptionSpec, opt: string, value: string | null, values: OptionValues, io: PyIo, env: { COLUMNS?: string }): void {
    if (option === HELP) {
      io.out(this.formatHelp(env));
      throw new PyExit(0);
    }
    if (option.type === "int") values[option.dest] = parseOptInt(value!, opt, this, io);
    else if (option.type === "string") values[option.dest] = value!;
    else values[option.dest] = true;
  }

  /** OptionParser.error: usage and "prog: error: msg" on stderr, exit status 2. */
  error(msg: string, io: PyIo): never {
    io.err(`Usage: ${this.prog} [options]\n\n${this.prog}: error: ${msg}\n`);
    throw new PyExit(2);
  }

  /** format_help(): usage, a blank line, "Options:" and one entry per option. */
  formatHelp(env: { COLUMNS?: string } = {}): string {
    let width = DEFAULT_WIDTH;
    if (env.COLUMNS !== undefined) {
      try {
        width = Number(pyIntBig(env.COLUMNS));
      } catch {
        width = DEFAULT_WIDTH;
      }
    }
    width -= 2;
    const indent = INDENT_INCREMENT;
    const strings = this.options.map(optionStrings);
    const maxLen = Math.max(...strings.map((s) => s.length + indent));
    // a narrow terminal pulls the help column left (HelpFormatter.__init__)
    const maxHelpPosition = Math.min(MAX_HELP_POSITION, Math.max(width - 20, indent * 2));
    const helpPosition = Math.min(maxLen + 2, maxHelpPosition);
    const helpWidth = Math.max(width - helpPosition, MIN_HELP_WIDTH);
    let text = `Usage: ${this.prog} [options]\n\nOptions:\n`;
    const optWidth = helpPosition - indent - 2;
    this.options.forEach((o, k) => {
      const opts = strings[k];
      let indentFirst = 0;
      if (opts.length > optWidth) {
        text += " ".repeat(indent) + opts + "\n";
        indentFirst = helpPosition;
      } else {
        text += " ".repeat(indent) + opts.padEnd(optWidth) + "  ";
      }
      const lines = wrap(o.help, helpWidth);
      text += " ".repeat(indentFirst) + lines[0] + "\n";
      for (const line of lines.slice(1)) text += " ".repeat(helpPosition) + line + "\n";
    });
    return text;
  }
}

/** "-s SEED, --seed=SEED" for a value option, "-c, --compute" for a flag. */
function optionStrings(o: OptionSpec): string {
  const parts: string[] = [];
  const metavar = o.dest.toUpperCase();
  if (o.short) parts.push(o.type ? `${o.short} ${metavar}` : o.short);
  if (o.long) parts.push(o.type ? `${o.long}=${metavar}` : o.long);
  return parts.join(", ");
}

/**
 * optparse's _parse_num for type int: 0x.. is hex, 0b.. binary, a leading 0 octal, else decimal,
 * then int(text, radix); a failure is "option -s: invalid integer value: 'x'". Ints beyond 2^53
 * stay bigints (seeds may be that large).
 */
function parseOptInt(text: string, opt: string, parser: OptionParser, io: PyIo): number | bigint {
  let radix = 10;
  let val = text;
  const head = text.slice(0, 2).toLowerCase();
  if (head === "0x") radix = 16;
  else if (head === "0b") {
    radix = 2;
    val = text.slice(2) || "0";
  } else if (text.slice(0, 1) === "0") radix = 8;
  let n: bigint;
  try {
    n = pyIntBig(val, radix);
  } catch (e) {
    if (!(e instanceof PyException)) throw e;
    parser.error(`option ${opt}: invalid integer value: ${pyRepr(text)}`, io);
  }
  return n >= -BigInt(Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
