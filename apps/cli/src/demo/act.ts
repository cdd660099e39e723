// A demo act: one layer of the tour. Each act boots what it needs and returns its text, so
// acts are independent and deterministic (same output every run).
export interface Act {
  title: string;
  /** the command a user can run next to explore this act further */
  tryNext: string[];
  run(): string;
}

export function banner(n: number, title: string): string {
  const head = `━━ Act ${n}. ${title} `;
  return `${head}${"━".repeat(Math.max(3, 78 - head.length))}\n`;
}

/** Indents every line of `text` by two spaces. */
export function indent(text: string): string {
  return text.replace(/^(?=.)/gm, "  ");
}
