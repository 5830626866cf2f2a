// The one way the typed native views call into an addon: a native error becomes its ConfmixError.
import { toConfmixError } from '../errors.ts';

/** Runs a native call, rethrowing its error as the matching ConfmixError class. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw toConfmixError(error);
  }
}
