import { InputError } from "@mmsim/base";

/** The message of the InputError `f` throws; fails the test if it throws nothing or something else. */
export function inputError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error("expected an InputError");
}
