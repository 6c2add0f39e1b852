/**
 * UTF-8 for the codecs: lengths of JS strings (byte bounds on keys, node ids and values without encoding them),
 * validation of untrusted bytes, and the fast paths the binary delta codec writes and reads strings with.
 *
 * A string with a lone surrogate has no UTF-8 form (an encoder would substitute U+FFFD, so the receiver would see
 * another string): it measures as -1 and is refused wherever a string must survive the wire unchanged. Conversely,
 * bytes are turned into a string only after `isUtf8` accepted them, so every decoded string re-encodes to the same
 * bytes and two byte strings never decode to one key.
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

/** Whether `b[start, end)` is valid UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF). */
export function isUtf8(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0) lo = 0xa0; // no overlong forms
      else if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90; // no overlong forms
      else if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
    } else return false;
    if (i + more >= end) return false; // sequence cut by the end of the string
    const c1 = b[i + 1]!;
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= more; k++) {
      const ck = b[i + k]!;
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += more + 1;
  }
  return true;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Writes `s` as UTF-8 at `out[at]` and returns the end offset. The caller has measured `s` with `utf8Length` (no
 * lone surrogate) and made room for that many bytes.
 */
export function writeUtf8(s: string, out: Uint8Array, at: number): number {
  const n = s.length;
  let p = at;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // Keys and node ids are mostly ASCII: one byte per unit, no call out.
    if (c >= 0x80) return at + textEncoder.encodeInto(s, out.subarray(at)).written;
    out[p++] = c;
  }
  return p;
}

/** The string of `b[start, end)`, which `isUtf8` has accepted. */
export function readUtf8(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  // Short ASCII strings (keys, node ids) without a TextDecoder call, whose fixed cost dominates at these sizes.
  if (n <= SHORT_MAX && isAscii(b, start, end)) return shortAscii(b, start, n);
  return textDecoder.decode(b.subarray(start, end));
}

/** The string of `b[start, end)` if it is valid UTF-8, else undefined: `isUtf8` and `readUtf8` in one pass for ASCII. */
export function readUtf8Checked(b: Uint8Array, start: number, end: number): string | undefined {
  const n = end - start;
  if (n <= SHORT_MAX && isAscii(b, start, end)) return shortAscii(b, start, n);
  return isUtf8(b, start, end) ? textDecoder.decode(b.subarray(start, end)) : undefined;
}

const SHORT_MAX = 12;

function isAscii(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) return false;
  return true;
}

/** `n` ≤ 12 ASCII bytes as a string: one `fromCharCode` call with the units as arguments is the cheapest form. */
function shortAscii(b: Uint8Array, s: number, n: number): string {
  const f = String.fromCharCode;
  switch (n) {
    case 0: return '';
    case 1: return f(b[s]!);
    case 2: return f(b[s]!, b[s + 1]!);
    case 3: return f(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4: return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5: return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6: return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7: return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8: return f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    default: {
      let r = f(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
      for (let i = s + 8; i < s + n; i++) r += f(b[i]!);
      return r;
    }
  }
}
