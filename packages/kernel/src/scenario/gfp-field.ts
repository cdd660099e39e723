// The `gfp:` field of scenario steps: GFP flag names joined with |, parsed with physical's
// parseGfp and checked with gfpCheck before anything runs, so that a mask gfp_zone() cannot
// serve (__GFP_HIGHMEM|__GFP_DMA32, ...) is an input error naming the file, line, field and
// the conflicting bits, never a Bug inside the allocator.
import { InputError } from "@mmsim/base";
import { GFP_KERNEL, gfpCheck, parseGfp } from "@mmsim/physical";
import { expectString, fail, type Path } from "../validate";

/** The mask in `o.gfp` (GFP_KERNEL when absent); an InputError at `path`.gfp when unusable. */
export function gfpField(o: Record<string, unknown>, path: Path): number {
  if (o.gfp === undefined) return GFP_KERNEL;
  const at = [...path, "gfp"];
  let gfp: number;
  try {
    gfp = parseGfp(expectString(o.gfp, at, "GFP flags like GFP_KERNEL|__GFP_ZERO"));
  } catch (e) {
    if (e instanceof InputError) fail(at, e.problem);
    throw e;
  }
  const problem = gfpCheck(gfp);
  if (problem !== null) fail(at, `${o.gfp as string}: ${problem}`);
  return gfp;
}
