import { describe, expect, it } from "vitest";
import { BUG, Bug } from "./errors";
import { verifyAll } from "./verify";

describe("verifyAll", () => {
  it("runs every part's verify in order and stops at the first broken invariant", () => {
    const ran: string[] = [];
    const part = (name: string, broken = false) => ({
      verify() {
        ran.push(name);
        if (broken) BUG(`${name}.verify`, "count mismatch");
      },
    });
    verifyAll([part("buddy"), part("pcp")]);
    expect(ran).toEqual(["buddy", "pcp"]);
    ran.length = 0;
    expect(() => verifyAll([part("buddy"), part("pcp", true), part("lru")])).toThrow(new Bug("pcp.verify", "count mismatch"));
    expect(ran).toEqual(["buddy", "pcp"]);
  });
});
