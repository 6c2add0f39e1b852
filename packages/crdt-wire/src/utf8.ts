/**
 * UTF-8 length of JS strings, for byte bounds on keys, node ids and values without encoding them. A string with a
 * lone surrogate has no UTF-8 form (the encoder would substitute U+FFFD, so the receiver would see another string):
 * it measures as -1 and is rejected wherever a string must survive the wire unchanged.
 */

/** UTF-8 byte length of `s`, or -1 if `s` holds a lone surrogate. */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || d < 0xdc00 || d > 0xdfff) return -1;
      bytes += 2; // the pair: 2 UTF-16 units, 4 UTF-8 bytes
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
