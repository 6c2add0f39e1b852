/** Programmer-error assertions: they crash loudly, they never guard untrusted input (that is messages.ts). */

/** Thrown when an internal invariant or a caller's precondition is broken. */
export class MembershipAssertionError extends Error {
  readonly code = 'membership.assertion';
  constructor(message: string) {
    super(message);
    this.name = 'MembershipAssertionError';
  }
}

/** Throw {@link MembershipAssertionError} unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new MembershipAssertionError(message);
}
