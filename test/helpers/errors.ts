// The stable `code` of the error a call throws, for tests of bad input.

/** The `code` of what `call` throws, or undefined when it does not throw. */
export function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}
