/**
 * @rumor/hlc — hybrid logical clock: monotonic timestamps under wall-clock steps, bounded remote drift, a compact
 * sortable encoding and a packed safe integer usable as a fencing token (design §4).
 */
export {
  HlcErrorCode,
  LOGICAL_BITS,
  LOGICAL_MAX,
  WALL_MAX_MS,
  PACKED_MAX,
  ZERO,
  compare,
  isTimestamp,
  isPacked,
  validate,
  pack,
  unpack,
  encode,
  decode,
} from './timestamp.js';
export type { Timestamp, PackedTimestamp, Result, HlcError } from './timestamp.js';
export { createHlc } from './clock.js';
export type { Hlc, HlcInit, HlcComponents } from './clock.js';
