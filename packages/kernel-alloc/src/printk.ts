// The kernel log as slab and vmalloc reports use it: lines go to a sink (the kernel package
// keeps a dmesg ring), and the taint mask that print_tainted() shows in "BUG ... (Not
// tainted)" headers. Models kernel/panic.c's taint letters; not log levels or timestamps.

/** Receives one log line (no trailing newline). */
export type LogSink = (line: string) => void;

/** Taint flags in kernel/panic.c taint_flags[] order (6.18: 20 flags). */
const TAINT_LETTERS = "GFSRMBUDAWCIOELKXTNJ";
export const TAINT_BAD_PAGE = 5;
/** 'D': the kernel died (an Oops) */
export const TAINT_DIE = 7;
export const TAINT_WARN = 9;

export class Printk {
  /** the kernel's tainted_mask */
  tainted = 0;
  /** every line logged, for tests and `dmesg` (the sink sees them too) */
  readonly lines: string[] = [];

  constructor(private readonly sink: LogSink | null = null) {}

  log(line: string): void {
    this.lines.push(line);
    if (this.sink) this.sink(line);
  }

  addTaint(flag: number): void {
    this.tainted |= 1 << flag;
  }

  /**
   * kernel/panic.c print_tainted(): "Not tainted", or "Tainted: " and one column per flag
   * (the letter when set, a space when not; 'G' stands in the first column when no
   * proprietary module is loaded).
   */
  printTainted(): string {
    if (this.tainted === 0) return "Not tainted";
    let s = "Tainted: ";
    for (let i = 0; i < TAINT_LETTERS.length; i++) {
      if (i === 0) s += (this.tainted & 1) !== 0 ? "P" : "G";
      else s += (this.tainted & (1 << i)) !== 0 ? TAINT_LETTERS[i] : " ";
    }
    return s;
  }
}
