// __GFP_NOFAIL in __alloc_pages_slowpath as 6.18 has it (mm/page_alloc.c): WARN_ON_ONCE for
// order > 1 and for a NOFAIL request that cannot reclaim (which then fails), the OOM path's
// WARN_ON_ONCE_GFP when nothing could be killed (then ALLOC_NO_WATERMARKS), ALLOC_MIN_RESERVE
// retries where the OOM killer is skipped, and mmsim's MAX_SLOWPATH_LOOPS guard.
import { describe, expect, it } from "vitest";
import { Bug } from "@mmsim/base";
import { GFP_KERNEL, GFP_NOWAIT, __GFP_MEMALLOC, __GFP_NOFAIL, __GFP_NOWARN, __GFP_THISNODE } from "./gfp";
import type { PhysicalMemory } from "./page-alloc";
import { MAX_SLOWPATH_LOOPS } from "./slowpath";
import { tiny, twoSmallNodes } from "../test/machines";

const CUT = "------------[ cut here ]------------";

/** Allocates order-0 pages with `gfp` until that fails; returns how many it got. */
function drain(m: PhysicalMemory, gfp: number, nid = -1): number {
  let n = 0;
  while (m.allocPages(gfp | __GFP_NOWARN, 0, nid) >= 0) n++;
  return n;
}

describe("__GFP_NOFAIL (6.18 __alloc_pages_slowpath)", () => {
  it("gets a page past the min watermark when there is nothing to kill, with the OOM path's warning once", () => {
    const m = tiny();
    drain(m, GFP_KERNEL);
    const failures = m.allocFailures;
    const before = m.kmsg.length;
    const pfn = m.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    // __alloc_pages_may_oom: out_of_memory() found nothing, WARN_ON_ONCE_GFP(gfp & __GFP_NOFAIL),
    // then __alloc_pages_cpuset_fallback(..., ALLOC_NO_WATERMARKS)
    expect(m.kmsg.slice(before)).toEqual([CUT, "WARNING: CPU: 0 PID: 0 at __alloc_pages_may_oom: WARN_ON_ONCE(gfp_mask & __GFP_NOFAIL)"]);
    expect(m.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).toBeGreaterThanOrEqual(0);
    expect(m.kmsg.length).toBe(before + 2); // once per machine
    expect(m.allocFailures).toBe(failures);
    m.verify();
  });

  it("retries with ALLOC_MIN_RESERVE where the OOM killer is skipped (__GFP_THISNODE)", () => {
    const m = twoSmallNodes();
    drain(m, GFP_KERNEL | __GFP_THISNODE, 0);
    expect(m.allocPages(GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0, 0)).toBe(-1);
    const pfn = m.allocPages(GFP_KERNEL | __GFP_THISNODE | __GFP_NOFAIL, 0, 0);
    expect(m.pages.nid(pfn)).toBe(0);
    // no OOM warning: __alloc_pages_may_oom returned before out_of_memory() (THISNODE)
    expect(m.kmsg.filter((l) => l.startsWith("WARNING"))).toEqual([]);
    m.verify();
  });

  it("warns once for order > 1 and still succeeds", () => {
    const m = tiny();
    expect(m.allocPages(GFP_KERNEL | __GFP_NOFAIL, 2)).toBeGreaterThanOrEqual(0); // fast path: no slow path, no warning
    drain(m, GFP_KERNEL);
    expect(m.allocPages(GFP_KERNEL | __GFP_NOFAIL, 2)).toBeGreaterThanOrEqual(0);
    expect(m.kmsg.filter((l) => l.startsWith("WARNING"))[0]).toBe("WARNING: CPU: 0 PID: 0 at __alloc_pages_slowpath: WARN_ON_ONCE(order > 1)");
    m.verify();
  });

  it("without direct reclaim warns (even with __GFP_NOWARN) and fails as 6.18 does", () => {
    const m = tiny();
    drain(m, GFP_KERNEL);
    drain(m, GFP_NOWAIT);
    const failures = m.allocFailures;
    expect(m.allocPages(GFP_NOWAIT | __GFP_NOFAIL, 0)).toBe(-1);
    expect(m.kmsg).toContain("WARNING: CPU: 0 PID: 0 at __alloc_pages_slowpath: WARN_ON_ONCE(!can_direct_reclaim)");
    expect(m.allocFailures).toBe(failures + 1);
    m.verify();
  });

  it("is a Bug after MAX_SLOWPATH_LOOPS rounds when even the reserves are gone (Linux would loop forever)", () => {
    const m = tiny();
    drain(m, GFP_KERNEL | __GFP_MEMALLOC); // ALLOC_NO_WATERMARKS: everything
    m.drainAllPages();
    drain(m, GFP_KERNEL | __GFP_MEMALLOC);
    expect(() => m.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).toThrow(Bug);
    expect(() => m.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).toThrow(`__alloc_pages_slowpath: GFP_KERNEL|__GFP_NOFAIL order 0: no page after ${MAX_SLOWPATH_LOOPS} rounds`);
    expect(m.acDepth).toBe(0);
    m.verify();
  });
});
