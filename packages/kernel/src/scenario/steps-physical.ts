// Steps that drive the page allocator directly (Linux's alloc_pages / free_pages), so a
// scenario can split and merge buddy blocks and watch /proc/buddyinfo move.
//
//   - alloc_pages: { order: 3, gfp: GFP_KERNEL, node: 0, as: a }
//   - free_pages: { of: a }
import { InputError } from "@mmsim/base";
import { MAX_PAGE_ORDER, formatGfp } from "@mmsim/physical";
import { expectInt, expectKeys, expectObject, expectString } from "../validate";
import { gfpField } from "./gfp-field";
import { unbound, type StepDef } from "./step";

/** What alloc_pages binds with `as:`: the block it returned. */
export interface PageAllocation {
  pfn: number;
  order: number;
}

declare module "./step" {
  interface Bindings {
    "page allocation": PageAllocation;
  }
}

export const allocPagesStep: StepDef<{ order: number; gfp: number; node: number | undefined; as: string | undefined }> = {
  name: "alloc_pages",
  summary: "allocate 2^order pages from the buddy allocator (alloc_pages_node)",
  example: "- alloc_pages: { order: 3, gfp: GFP_KERNEL, node: 0, as: a }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with order, gfp, node and as");
    expectKeys(o, ["order", "gfp", "node", "as"], path);
    const order = expectInt(o.order ?? 0, [...path, "order"], 0, MAX_PAGE_ORDER);
    const gfp = gfpField(o, path);
    const node = o.node === undefined ? undefined : expectInt(o.node, [...path, "node"], 0, 7);
    const as = o.as === undefined ? undefined : expectString(o.as, [...path, "as"], "a name");
    if (as !== undefined) scope.define(as, "page allocation", [...path, "as"]);
    return { order, gfp, node, as };
  },
  describe: (a) => `alloc_pages(order=${a.order}, ${formatGfp(a.gfp)}${a.node !== undefined ? `, node=${a.node}` : ""})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const phys = ctx.kernel.phys;
    if (a.node !== undefined && a.node >= phys.nodes.length) throw new InputError(`node ${a.node} does not exist (the machine has ${phys.nodes.length})`);
    const pfn = phys.allocPages(a.gfp, a.order, a.node);
    if (pfn < 0) return `failed: no free block of order ${a.order} above the watermark (see dmesg)\n`;
    if (a.as) ctx.bind(a.as, "page allocation", { pfn, order: a.order });
    const zone = phys.pageZone(pfn);
    const n = 2 ** a.order;
    return `pfn 0x${pfn.toString(16)}${n > 1 ? `-0x${(pfn + n - 1).toString(16)}` : ""} (${n} page${n > 1 ? "s" : ""}) from node ${zone?.nid ?? "?"}, zone ${zone?.name ?? "?"}\n`;
  },
};

export const freePagesStep: StepDef<{ of: string }> = {
  name: "free_pages",
  summary: "free an allocation made by alloc_pages (free_pages)",
  example: "- free_pages: { of: a }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with of: <name>");
    expectKeys(o, ["of"], path);
    const of = scope.use(o.of, "page allocation", [...path, "of"]);
    scope.release(of);
    return { of };
  },
  describe: (a) => `free_pages(${a.of})`,
  run(a, ctx) {
    const al = ctx.lookup(a.of, "page allocation") ?? unbound(a.of);
    ctx.kernel.phys.freePages(al.pfn, al.order);
    ctx.unbind(a.of);
    return `freed pfn 0x${al.pfn.toString(16)} order ${al.order}\n`;
  },
};
