// The kernel log. Lines carry the simulated boot-relative timestamp in Linux's printk format
// "[    0.000000] text" (kernel/printk/printk.c print_time: %5lu.%06lu).
import type { Clock } from "@mmsim/base";

export class Dmesg {
  private readonly lines: { ns: number; text: string }[] = [];

  constructor(private readonly clock: Clock) {}

  /** Appends one line (or several, split on newlines) at the current simulated time. */
  log(text: string): void {
    for (const line of text.split("\n")) this.lines.push({ ns: this.clock.ns, text: line });
  }

  get length(): number {
    return this.lines.length;
  }

  /** The whole log as `dmesg` prints it. */
  render(from = 0): string {
    let out = "";
    for (let i = from; i < this.lines.length; i++) {
      const { ns, text } = this.lines[i]!;
      const secs = Math.floor(ns / 1e9);
      const micros = Math.floor((ns % 1e9) / 1e3);
      out += `[${String(secs).padStart(5)}.${String(micros).padStart(6, "0")}] ${text}\n`;
    }
    return out;
  }

  /** The raw lines without timestamps. */
  texts(from = 0): string[] {
    return this.lines.slice(from).map((l) => l.text);
  }
}
