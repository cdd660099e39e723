// YAML input with positions: parses a document and maps a field path back to its line, so
// that an error in step 7 of a scenario says "scenario.yaml:23: steps[6].alloc_pages.order: ...".
// Hostile documents are input errors too: a file over MAX_YAML_BYTES, an alias bomb, nesting
// deeper than the parser can follow, an alias to no anchor. None of them reaches a host limit.
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, visit, type Document } from "yaml";
import { InputError } from "@mmsim/base";
import { formatPath, type Path } from "./validate";

/**
 * Largest YAML text mmsim parses: 1 MiB, about 40,000 scenario steps. The parser needs about
 * 100 bytes of heap per byte of text and ~2 s per MiB on a 2-core machine, so this keeps a
 * scenario far from the heap limit (a 50 MB file would exhaust it).
 */
export const MAX_YAML_BYTES = 1024 * 1024;

/**
 * How many nodes a document may stand for once its aliases are expanded: 1,000,000. An alias
 * counts as many nodes as the anchored node it repeats, so a "billion laughs" document (lists
 * of aliases of lists of aliases) stops here, while a scenario that repeats an anchored step
 * thousands of times does not (yaml's own maxAliasCount of 100 rejected 101 repeats, and its
 * alias lookup is quadratic: 10,000 aliases took 7 s, so mmsim resolves aliases itself).
 */
export const MAX_YAML_EXPANDED_NODES = 1_000_000;

/**
 * Most items one YAML list may hold: 100,000. This bounds a scenario's steps (an aliased step
 * costs 7 bytes, so 1 MiB could otherwise hold 150,000 of them) and any other list a user writes.
 */
export const MAX_YAML_LIST_ITEMS = 100_000;

export class YamlSource {
  readonly value: unknown;
  private readonly doc: Document;
  private readonly lines = new LineCounter();

  /** Parses `text`; a syntax error or a resource limit is an InputError with the file (and line). */
  constructor(
    text: string,
    readonly file: string,
  ) {
    // characters <= UTF-8 bytes <= 3 characters: only long texts need encoding to be measured
    const bytes = text.length * 3 > MAX_YAML_BYTES ? new TextEncoder().encode(text).length : text.length;
    if (bytes > MAX_YAML_BYTES) {
      throw new InputError(`too large: ${bytes} bytes of YAML; mmsim reads at most ${MAX_YAML_BYTES} bytes (1MiB)`, { file });
    }
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const first = this.doc.errors[0];
    if (first) {
      const line = this.lines.linePos(first.pos[0]).line;
      const msg = first.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const problem = /call stack/i.test(msg) ? "nested too deeply (lists or mappings inside each other, thousands of levels)" : msg;
      throw new InputError(`invalid YAML: ${problem}`, { file, line });
    }
    this.checkLists();
    this.value = this.toJS();
  }

  /** Rejects a list longer than MAX_YAML_LIST_ITEMS, naming its line. */
  private checkLists(): void {
    visit(this.doc, {
      Seq: (key, node) => {
        if (!isSeq(node) || node.items.length <= MAX_YAML_LIST_ITEMS) return undefined;
        const name = typeof key === "number" || key === null ? "a list" : "the list";
        const line = node.range ? this.lines.linePos(node.range[0]).line : undefined;
        throw new InputError(`too many items: ${name} of ${node.items.length}; mmsim reads lists (scenario steps included) of at most ${MAX_YAML_LIST_ITEMS} items`, { file: this.file, line });
      },
    });
  }

  /**
   * The document as plain values (mappings as objects, sequences as arrays, scalars as their
   * typed values). Aliases resolve to the anchored value itself, in one pass in document order.
   */
  private toJS(): unknown {
    const anchors = new Map<string, { value: unknown; weight: number }>();
    let total = 0;
    const lineOf = (n: { range?: [number, number, number] | null }) => (n.range ? this.lines.linePos(n.range[0]).line : undefined);
    const convert = (node: unknown): { value: unknown; weight: number } => {
      let out: { value: unknown; weight: number };
      if (node === null || node === undefined) out = { value: null, weight: 1 };
      else if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (!target) throw new InputError(`invalid YAML: alias *${node.source} refers to no anchor &${node.source} before it`, { file: this.file, line: lineOf(node) });
        out = target;
      } else if (isScalar(node)) out = { value: node.value, weight: 1 };
      else if (isMap(node)) {
        const o: Record<string, unknown> = {};
        let weight = 1;
        for (const pair of node.items) {
          const key = isAlias(pair.key) ? convert(pair.key).value : isScalar(pair.key) ? pair.key.value : pair.key === null ? "" : undefined;
          if (key !== null && typeof key === "object") {
            throw new InputError("invalid YAML: a mapping key must be a plain word or number, not a list or mapping", { file: this.file, line: isNode(pair.key) ? lineOf(pair.key) : lineOf(node) });
          }
          if (isScalar(pair.key) && pair.key.anchor) anchors.set(pair.key.anchor, { value: pair.key.value, weight: 1 });
          const v = convert(pair.value);
          // defineProperty: a key named __proto__ is data, never the object's prototype
          Object.defineProperty(o, key === null ? "" : String(key), { value: v.value, enumerable: true, writable: true, configurable: true });
          weight += v.weight;
        }
        out = { value: o, weight };
      } else if (isSeq(node)) {
        const a: unknown[] = [];
        let weight = 1;
        for (const item of node.items) {
          const v = convert(item);
          a.push(v.value);
          weight += v.weight;
        }
        out = { value: a, weight };
      } else throw new InputError("invalid YAML: unsupported node", { file: this.file, line: isNode(node) ? lineOf(node) : undefined });
      total += isAlias(node) ? out.weight : 1;
      if (total > MAX_YAML_EXPANDED_NODES) {
        throw new InputError(`invalid YAML: aliases expand the document to more than ${MAX_YAML_EXPANDED_NODES} nodes (an alias bomb?)`, { file: this.file, line: isNode(node) ? lineOf(node) : undefined });
      }
      if (isNode(node) && !isAlias(node) && node.anchor) anchors.set(node.anchor, out);
      return out;
    };
    try {
      return convert(this.doc.contents).value;
    } catch (e) {
      if (e instanceof RangeError) throw new InputError("invalid YAML: nested too deeply (lists or mappings inside each other, thousands of levels)", { file: this.file });
      throw e;
    }
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
      throw new InputError(e.problem, { file: this.file, line: e.where.line ?? this.lineOf(path), field: field ?? (base.length ? formatPath(base) : undefined) });
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
