/**
 * Python 3.11's textwrap.wrap(text, width) with its defaults (tabs expanded, whitespace made
 * spaces, words broken on hyphens, long words split, surrounding whitespace dropped), which
 * optparse uses for option help. ASCII text only: \w is ASCII here.
 */

/** The chunk splitter: runs of whitespace, em-dashes, and words that may end after a hyphen. */
const WORDSEP =
  /([\t\n\v\f\r ]+|(?<=[\w!"'&.,?])-{2,}(?=\w)|[^\t\n\v\f\r ]+?(?:-(?:(?<=[^\d\W]{2}-)|(?<=[^\d\W]-[^\d\W]-))(?=[^\d\W]-?[^\d\W])|(?=[\t\n\v\f\r ]|$)|(?<=[\w!"'&.,?])(?=-{2,}\w)))/;

function expandTabs(s: string, tabsize = 8): string {
  let out = "";
  let col = 0;
  for (const ch of s) {
    if (ch === "\t") {
      const n = tabsize - (col % tabsize);
      out += " ".repeat(n);
      col += n;
    } else {
      out += ch;
      col = ch === "\n" || ch === "\r" ? 0 : col + 1;
    }
  }
  return out;
}

/** textwrap.wrap(text, width): the lines, without newlines. */
export function wrap(text: string, width: number): string[] {
  const munged = expandTabs(text).replace(/[\t\n\v\f\r ]/g, " ");
  const chunks = munged.split(WORDSEP).filter((c) => c !== "");
  chunks.reverse();
  const lines: string[] = [];
  while (chunks.length > 0) {
    const cur: string[] = [];
    let curLen = 0;
    if (chunks[chunks.length - 1].trim() === "" && lines.length > 0) chunks.pop();
    while (chunks.length > 0) {
      const l = chunks[chunks.length - 1].length;
      if (curLen + l > width) break;
      cur.push(chunks.pop()!);
      curLen += l;
    }
    if (chunks.length > 0 && chunks[chunks.length - 1].length > width) {
      handleLongWord(chunks, cur, curLen, width);
      curLen = cur.reduce((n, c) => n + c.length, 0);
    }
    if (cur.length > 0 && cur[cur.length - 1].trim() === "") {
      curLen -= cur[cur.length - 1].length;
      cur.pop();
    }
    if (cur.length > 0) lines.push(cur.join(""));
  }
  return lines;
}

function handleLongWord(chunks: string[], cur: string[], curLen: number, width: number): void {
  const spaceLeft = width < 1 ? 1 : width - curLen;
  const chunk = chunks[chunks.length - 1];
  let end = spaceLeft;
  if (chunk.length > spaceLeft) {
    const hyphen = chunk.lastIndexOf("-", spaceLeft - 1);
    if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
  }
  cur.push(chunk.slice(0, end));
  chunks[chunks.length - 1] = chunk.slice(end);
}
