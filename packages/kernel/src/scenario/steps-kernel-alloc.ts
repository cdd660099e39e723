// Steps that drive the slab allocator and vmalloc (Linux's kmem_cache_create, kmalloc, kfree,
// vmalloc, vfree), so a scenario can watch /proc/slabinfo, /proc/vmallocinfo and the Slab and
// VmallocUsed lines of /proc/meminfo move.
//
//   - kmem_cache_create: { name: my_cache, size: 200, align: 8, as: c }
//   - kmem_cache_alloc: { cache: c, as: obj }        (or cache: dentry, a cache by its name)
//   - kmalloc: { size: 64, gfp: GFP_KERNEL, as: p }
//   - kfree: { of: p }
//   - vmalloc: { size: 64KiB, as: v }
//   - vfree: { of: v }
import { InputError, formatVa } from "@mmsim/base";
import { GFP_KERNEL } from "@mmsim/physical";
import type { SlabCacheInfo } from "@mmsim/kernel-alloc";
import type { Kernel } from "../kernel";
import { expectInt, expectKeys, expectObject, expectSize, expectString, fail, type Path } from "../validate";
import { gfpField } from "./gfp-field";
import { unbound, type BindingKind, type Scope, type StepDef } from "./step";

/** KMALLOC_MAX_SIZE on x86-64: 2^(MAX_PAGE_ORDER + PAGE_SHIFT) = 4 MiB (include/linux/slab.h). */
const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;

function bindName(o: Record<string, unknown>, path: Path, scope: Scope, kind: BindingKind): string | undefined {
  if (o.as === undefined) return undefined;
  const as = expectString(o.as, [...path, "as"], "a name");
  scope.define(as, kind, [...path, "as"]);
  return as;
}

declare module "./step" {
  interface Bindings {
    /** a cache from kmem_cache_create */
    "slab cache": SlabCacheInfo;
    /** the physical address of an object from kmalloc or kmem_cache_alloc */
    "slab object": number;
    /** the kernel virtual address vmalloc returned */
    "vmalloc area": number;
  }
}

const kva = (k: Kernel, pa: number) => formatVa(k.hw.layout.PAGE_OFFSET + pa, k.hw.layout.vaBits);

export const kmemCacheCreateStep: StepDef<{ name: string; size: number; align: number; as: string | undefined }> = {
  name: "kmem_cache_create",
  summary: "create a slab cache (it may merge into a compatible existing cache, as in Linux)",
  example: "- kmem_cache_create: { name: my_cache, size: 200, align: 8, as: c }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with name, size, align and as");
    expectKeys(o, ["name", "size", "align", "as"], path);
    const name = expectString(o.name, [...path, "name"], "a cache name");
    const size = expectInt(o.size, [...path, "size"], 1, KMALLOC_MAX_SIZE);
    const align = o.align === undefined ? 0 : expectInt(o.align, [...path, "align"], 0, 4096);
    if (align & (align - 1)) fail([...path, "align"], `expected a power of two, got ${align}`);
    return { name, size, align, as: bindName(o, path, scope, "slab cache") };
  },
  describe: (a) => `kmem_cache_create("${a.name}", ${a.size}, ${a.align})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const c = ctx.kernel.alloc.kmemCacheCreate(a.name, a.size, a.align);
    if (!c) return "failed: the object does not fit in any slab\n";
    if (a.as) ctx.bind(a.as, "slab cache", c);
    return c.name === a.name ? `created ${c.name}: objects of ${c.objectSize} bytes in ${c.size}-byte slots\n` : `merged into ${c.name} (an alias, as slab merging does for compatible caches)\n`;
  },
};

export const kmemCacheAllocStep: StepDef<{ cache: string; bound: boolean; gfp: number; as: string | undefined }> = {
  name: "kmem_cache_alloc",
  summary: "allocate an object from a slab cache (bound with as:, or named like dentry)",
  example: "- kmem_cache_alloc: { cache: c, as: obj }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with cache, gfp and as");
    expectKeys(o, ["cache", "gfp", "as"], path);
    const name = expectString(o.cache, [...path, "cache"], "a cache bound with as:, or a cache name");
    const bound = scope.has(name);
    if (bound) scope.use(name, "slab cache", [...path, "cache"]);
    return { cache: name, bound, gfp: gfpField(o, path), as: bindName(o, path, scope, "slab object") };
  },
  describe: (a) => `kmem_cache_alloc(${a.cache})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const k = ctx.kernel;
    const c = a.bound ? (ctx.lookup(a.cache, "slab cache") ?? unbound(a.cache)) : k.alloc.cache(a.cache);
    if (!c) throw new InputError(`no slab cache named "${a.cache}" (see /proc/slabinfo)`);
    const pa = k.alloc.kmemCacheAlloc(c, a.gfp, "scenario");
    if (pa === 0) return "failed: out of memory\n";
    if (a.as) ctx.bind(a.as, "slab object", pa);
    return `${kva(k, pa)} from ${c.name}\n`;
  },
};

export const kmallocStep: StepDef<{ size: number; gfp: number; as: string | undefined }> = {
  name: "kmalloc",
  summary: "allocate size bytes from the kmalloc caches (or the page allocator above 8 KiB)",
  example: "- kmalloc: { size: 100, gfp: GFP_KERNEL, as: p }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with size, gfp and as");
    expectKeys(o, ["size", "gfp", "as"], path);
    const size = expectInt(o.size, [...path, "size"], 0, KMALLOC_MAX_SIZE);
    return { size, gfp: gfpField(o, path), as: bindName(o, path, scope, "slab object") };
  },
  describe: (a) => `kmalloc(${a.size})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const k = ctx.kernel;
    const pa = k.alloc.kmalloc(a.size, a.gfp, "scenario");
    if (pa === 0) return "failed: out of memory\n";
    if (a.as) ctx.bind(a.as, "slab object", pa);
    if (a.size === 0) return "ZERO_SIZE_PTR (0x10): kmalloc(0) returns a pointer that must not be used\n";
    return `${kva(k, pa)} (ksize ${k.alloc.ksize(pa)})\n`;
  },
};

export const kfreeStep: StepDef<{ of: string }> = {
  name: "kfree",
  summary: "free an object from kmalloc or kmem_cache_alloc",
  example: "- kfree: { of: p }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with of: <name>");
    expectKeys(o, ["of"], path);
    const of = scope.use(o.of, "slab object", [...path, "of"]);
    scope.release(of);
    return { of };
  },
  describe: (a) => `kfree(${a.of})`,
  run(a, ctx) {
    const pa = ctx.lookup(a.of, "slab object") ?? unbound(a.of);
    ctx.kernel.alloc.kfree(pa, "scenario");
    ctx.unbind(a.of);
    return "";
  },
};

export const vmallocStep: StepDef<{ size: number; as: string | undefined }> = {
  name: "vmalloc",
  summary: "allocate virtually contiguous kernel memory (pages mapped in the vmalloc area)",
  example: "- vmalloc: { size: 64KiB, as: v }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with size and as");
    expectKeys(o, ["size", "as"], path);
    const size = expectSize(o.size, [...path, "size"]);
    if (size === 0) fail([...path, "size"], "expected a size above 0");
    return { size, as: bindName(o, path, scope, "vmalloc area") };
  },
  describe: (a) => `vmalloc(${a.size})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const k = ctx.kernel;
    const va = k.alloc.vmalloc(a.size, GFP_KERNEL, "scenario");
    if (va === 0) return "failed: out of memory or vmalloc space\n";
    if (a.as) ctx.bind(a.as, "vmalloc area", va);
    return `${formatVa(va, k.hw.layout.vaBits)} (${Math.ceil(a.size / 4096)} pages + a guard page)\n`;
  },
};

export const vfreeStep: StepDef<{ of: string }> = {
  name: "vfree",
  summary: "free a vmalloc area (lazily: its TLB flush waits for the purge)",
  example: "- vfree: { of: v }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with of: <name>");
    expectKeys(o, ["of"], path);
    const of = scope.use(o.of, "vmalloc area", [...path, "of"]);
    scope.release(of);
    return { of };
  },
  describe: (a) => `vfree(${a.of})`,
  run(a, ctx) {
    const va = ctx.lookup(a.of, "vmalloc area") ?? unbound(a.of);
    ctx.kernel.alloc.vfree(va);
    ctx.unbind(a.of);
    return "";
  },
};
