/**
 * A resource guarded by fencing tokens: it remembers the highest token it has accepted and refuses any write with
 * a lower one, so a deposed leader that still believes it leads (a paused process, a partition) cannot clobber
 * what its successor wrote.
 */
export interface FencedStore {
  /** Write `value` under `token`; false when a newer leader has written already. */
  write(token: number, value: string): boolean;
  readonly value: string | undefined;
  readonly highestToken: number;
}

/** Create an empty fenced store. */
export function createFencedStore(): FencedStore {
  let highest = 0;
  let value: string | undefined;
  return {
    write(token, v) {
      if (token < highest) return false;
      highest = token;
      value = v;
      return true;
    },
    get value() {
      return value;
    },
    get highestToken() {
      return highest;
    },
  };
}
