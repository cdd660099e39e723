// YAML input with positions: parses a document and maps a field path back to its line, so
// that an error in step 7 of a scenario says "scenario.yaml:23: steps[6].alloc_pages.order: ...".
import { LineCounter, isNode, parseDocument, type Document } from "yaml";
import { InputError } from "@mmsim/base";
import { formatPath, type Path } from "./validate";

export class YamlSource {
  readonly value: unknown;
  private readonly doc: Document;
  private readonly lines = new LineCounter();

  /** Parses `text`; a syntax error is an InputError with the file and line. */
  constructor(
    text: string,
    readonly file: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const first = this.doc.errors[0];
    if (first) {
      const line = this.lines.linePos(first.pos[0]).line;
      const msg = first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw new InputError(`invalid YAML: ${msg}`, { file, line });
    }
    this.value = this.doc.toJS();
  }

  /** The 1-based line of the node at `path`, or of its closest existing ancestor. */
  lineOf(path: Path): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
      // a key whose value is null: look up the pair's key
    }
    return undefined;
  }

  /** Re-throws an InputError raised while validating a part of this document, with file and line. */
  locate(e: unknown, base: Path = []): never {
    if (e instanceof InputError) {
      const field = e.where.field;
      const path = field ? parseFieldPath(field) : base;
      throw new InputError(e.problem, { file: this.file, line: this.lineOf(path), field: field ?? (base.length ? formatPath(base) : undefined) });
    }
    throw e;
  }
}

/** "steps[2].alloc_pages.order" → ["steps", 2, "alloc_pages", "order"] */
export function parseFieldPath(field: string): Path {
  const out: Path = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}
