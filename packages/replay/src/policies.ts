// The policy factory: a name and a number of frames to a Policy, with the options checked.

import { InputError } from "@mmsim/base";
import { ArcPolicy } from "./arc";
import { ClockPolicy, SievePolicy } from "./clock";
import { LruLinuxPolicy } from "./lru-linux";
import { FifoPolicy, LruPolicy } from "./lru";
import { OptPolicy } from "./opt";
import { POLICY_NAMES, type Policy, type PolicyName, type PolicyOptions } from "./policy";
import { S3FifoPolicy } from "./s3fifo";
import { TwoQPolicy } from "./two-q";

/** A fresh policy `name` over `frames` frames; bad names or options are InputErrors. */
export function createPolicy(name: PolicyName, frames: number, o: PolicyOptions = {}): Policy {
  switch (name) {
    case "fifo":
      return new FifoPolicy(frames);
    case "lru":
      return new LruPolicy(frames);
    case "clock":
      return new ClockPolicy(frames, o.clockInitialUse ?? 0);
    case "opt":
      return new OptPolicy(frames);
    case "arc":
      return new ArcPolicy(frames);
    case "2q":
      return new TwoQPolicy(frames, ratio("2Q Kin", o.twoQKin ?? 0.25, true), ratio("2Q Kout", o.twoQKout ?? 0.5, false));
    case "lru-linux":
      return new LruLinuxPolicy(frames);
    case "s3fifo": {
      const t = o.s3fifoThreshold ?? 2;
      if (!Number.isInteger(t) || t < 1) throw new InputError(`invalid S3-FIFO move-to-main threshold ${t}: expected a whole number >= 1`);
      return new S3FifoPolicy(frames, ratio("S3-FIFO small queue", o.s3fifoSmall ?? 0.1, true), ratio("S3-FIFO ghost queue", o.s3fifoGhost ?? 0.9, false), t);
    }
    case "sieve":
      return new SievePolicy(frames);
    default:
      throw new InputError(`unknown policy "${name as string}": expected one of ${POLICY_NAMES.join(", ")}`);
  }
}

/** A share of the frames: > 0 and < 1 when `belowOne`, else from 0 to 4 (ghost lists). */
function ratio(what: string, v: number, belowOne: boolean): number {
  const ok = belowOne ? v > 0 && v < 1 : v >= 0 && v <= 4;
  if (!Number.isFinite(v) || !ok) throw new InputError(`invalid ${what} share ${v}: expected a fraction of the frames ${belowOne ? "between 0 and 1" : "from 0 to 4"}`);
  return v;
}
