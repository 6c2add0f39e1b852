/**
 * Thrown errors of the testkit: programmer errors and unavailable features, with stable codes (docs/errors.md).
 */

/** Stable error codes of the testkit. */
export const TestkitErrorCode = {
  /** The options of a convergence run are invalid. */
  BadOptions: 'testkit.bad-options',
} as const;

/** A testkit error code. */
export type TestkitErrorCode = (typeof TestkitErrorCode)[keyof typeof TestkitErrorCode];

/** An error thrown by the testkit, with a stable `code`. */
export class TestkitError extends Error {
  constructor(
    readonly code: TestkitErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TestkitError';
  }
}
