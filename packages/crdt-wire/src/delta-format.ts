/**
 * The binary OR-Map payload (docs/wire-format.md §5.2): the flat form deltas travel in.
 *
 * Why not msgpack: an OR-Map payload is a writers table and rows of small tuples, which msgpack spells as nested
 * maps and arrays — the decoder then builds every container and re-checks every field that the layout could have
 * fixed. This form is one forward pass of varints, length-prefixed UTF-8, fixed-width hlcs and length-prefixed
 * msgpack values, so a reader checks each field once, in place, and a corrupt length can never make it read past
 * the end or allocate more than the bytes it was given. It carries any `ORMapData` (delta, repair or snapshot);
 * the stock map sends its deltas this way.
 *
 * ```
 * payload = version ‖ flags ‖ writers ‖ [horizon] ‖ entries
 * version = 01
 * flags   = bit 0: horizon present; bit 1: complete (only with bit 0); bits 2–7 zero
 * writers = uv(W) ‖ W × (uv(len) ‖ len bytes of UTF-8)
 * horizon = hlc(floor) ‖ uv(V) ‖ V × (uv(writer) ‖ hlc)
 * entries = uv(N) ‖ N × (uv(keyLen) ‖ keyLen bytes of UTF-8 ‖ uv(S) ‖ S × slot)
 * slot    = uv(writer · 2 + live) ‖ hlc ‖ [live: uv(valueLen) ‖ valueLen bytes: one msgpack value]
 * uv      = unsigned LEB128, 1..5 bytes, shortest form, < 2^32
 * hlc     = 7 bytes, big-endian unsigned
 * ```
 */

/** The format version byte this codec writes and reads. */
export const DELTA_VERSION = 1;

/** Flag: a horizon follows the writers table. */
export const FLAG_HORIZON = 0x01;
/** Flag: the payload is the sender's whole map (only with a horizon). */
export const FLAG_COMPLETE = 0x02;

/** Width of an hlc on the wire: 56 bits hold every packed HLC (53 bits). */
export const HLC_BYTES = 7;

/** Fewest bytes a slot takes (header and hlc): bounds a declared slot count by the bytes left. */
export const SLOT_BYTES_MIN = 1 + HLC_BYTES;

/** Fewest bytes an entry takes (key length and slot count): bounds a declared entry count by the bytes left. */
export const ENTRY_BYTES_MIN = 2;
