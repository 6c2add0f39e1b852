/**
 * Structural pre-scan of msgpack bytes (design §3: bounded decoding of untrusted frames).
 *
 * @msgpack/msgpack bounds string, bin, array, map and ext lengths, but not total size, nesting depth, the number of
 * entries across the whole value, or declared lengths larger than the bytes that follow (`new Array(2**32-1)`), and
 * it accepts non-string map keys and decodes the timestamp ext. This scan walks the headers once, without
 * allocating per item and without recursion, and rejects any input that breaks a bound before the real decoder
 * materialises anything. It also checks that every string is valid UTF-8 (the library's decoder would pass invalid
 * bytes through as odd code units or lone surrogates, so two byte strings could decode to one key, or a key to
 * something that re-encodes differently). Guarantee: if `scanValues` accepts, every value is well-formed msgpack
 * within the limits, strings are valid UTF-8, maps have string keys other than `__proto__`, and the decoder's
 * allocations are bounded by the input length.
 */
import { CodecErrorCode } from './errors.js';
import type { ResolvedCodecLimits } from './limits.js';
import type { WireError } from './result.js';
import { isUtf8 } from './utf8.js';

// Per-level state, reused across calls: scanning is synchronous and calls nothing outside this module.
let remaining = new Float64Array(64);
let inMap = new Uint8Array(64);

const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

function err(code: WireError['code'], message: string): WireError {
  return { code, message };
}

/**
 * Scans `bytes` as a sequence of at most `valuesMax` concatenated msgpack values (at least one). Returns an error, or
 * undefined on success; when `ends` is given, the end offset of each value is pushed to it.
 */
export function scanValues(
  bytes: Uint8Array,
  limits: ResolvedCodecLimits,
  valuesMax: number,
  ends?: number[],
): WireError | undefined {
  const n = bytes.length;
  const { frameBytesMax, depthMax, entriesMax, stringBytesMax, binBytesMax, extAllowed } = limits;
  if (n > frameBytesMax) return err(CodecErrorCode.frameTooLarge, `input of ${n} bytes exceeds frameBytesMax ${frameBytesMax}`);
  if (n === 0) return err(CodecErrorCode.truncated, 'empty input');
  if (remaining.length < depthMax + 2) {
    remaining = new Float64Array(depthMax + 2);
    inMap = new Uint8Array(depthMax + 2);
  }
  // The innermost open container lives in locals (`rem` items left, `map`); outer ones are spilled to the arrays.
  let pos = 0;
  let depth = 0;
  let rem = 0;
  let map = 0;
  let entries = 0;
  let values = 0;
  while (pos < n) {
    if (depth === 0) {
      if (values === valuesMax) {
        return values === 1
          ? err(CodecErrorCode.trailingBytes, `${n - pos} bytes after the value at offset ${pos}`)
          : err(CodecErrorCode.tooManyValues, `more than ${valuesMax} values in one input`);
      }
      values++;
    }
    // A map level counts 2 items per pair; the key comes when an even count remains.
    const isKey = map === 1 && (rem & 1) === 0;
    const h = bytes[pos]!;
    let count = -1; // container: item count (pairs doubled); scalar: -1
    let isMap = 0;
    if (h < 0x80 || h >= 0xe0) {
      // fixint: one byte
      if (isKey) return err(CodecErrorCode.keyType, `map key at offset ${pos} is not a string`);
      pos += 1;
    } else if (h >= 0xa0 && h <= 0xbf) {
      const len = h & 0x1f;
      if (isKey && len === 9 && pos + 10 <= n && isProto(bytes, pos + 1)) return err(CodecErrorCode.protoKey, `map key "__proto__" at offset ${pos}`);
      if (len > stringBytesMax) return err(CodecErrorCode.stringTooLong, `string of ${len} bytes exceeds stringBytesMax ${stringBytesMax}`);
      if (len >= n - pos) return err(CodecErrorCode.truncated, `string at offset ${pos} runs past the end`);
      if (!isUtf8(bytes, pos + 1, pos + 1 + len)) return err(CodecErrorCode.badUtf8, `string at offset ${pos} is not valid UTF-8`);
      pos += 1 + len;
    } else if (h < 0xa0) {
      if (isKey) return err(CodecErrorCode.keyType, `map key at offset ${pos} is not a string`);
      if (h < 0x90) {
        count = (h & 0x0f) * 2;
        isMap = 1;
      } else {
        count = h & 0x0f;
      }
      pos += 1;
    } else {
      const need = LEN_BYTES[h - 0xc0]!;
      if (need < 0) return err(CodecErrorCode.invalidByte, `byte 0x${h.toString(16)} at offset ${pos} is not a msgpack type`);
      if (pos + 1 + need > n) return err(CodecErrorCode.truncated, `header at offset ${pos} runs past the end`);
      const len = need === 0 ? 0 : need === 1 ? bytes[pos + 1]! : need === 2 ? (bytes[pos + 1]! << 8) | bytes[pos + 2]! : readU32(bytes, pos + 1);
      const isStr = h === 0xd9 || h === 0xda || h === 0xdb;
      if (isKey && !isStr) return err(CodecErrorCode.keyType, `map key at offset ${pos} is not a string`);
      let payload = 0;
      switch (h) {
        case 0xc4: case 0xc5: case 0xc6: // bin 8/16/32
          if (len > binBytesMax) return err(CodecErrorCode.binTooLong, `bin of ${len} bytes exceeds binBytesMax ${binBytesMax}`);
          payload = len;
          break;
        case 0xc7: case 0xc8: case 0xc9: // ext 8/16/32: type byte + data
          if (!extAllowed) return err(CodecErrorCode.ext, `ext value at offset ${pos} (ext types are not accepted)`);
          if (len > binBytesMax) return err(CodecErrorCode.binTooLong, `ext of ${len} bytes exceeds binBytesMax ${binBytesMax}`);
          payload = 1 + len;
          break;
        case 0xca: payload = 4; break;
        case 0xcb: payload = 8; break;
        case 0xcc: case 0xd0: payload = 1; break;
        case 0xcd: case 0xd1: payload = 2; break;
        case 0xce: case 0xd2: payload = 4; break;
        case 0xcf: case 0xd3: payload = 8; break;
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: // fixext 1/2/4/8/16
          if (!extAllowed) return err(CodecErrorCode.ext, `ext value at offset ${pos} (ext types are not accepted)`);
          payload = 1 + (1 << (h - 0xd4));
          break;
        case 0xd9: case 0xda: case 0xdb: // str 8/16/32
          if (len > stringBytesMax) return err(CodecErrorCode.stringTooLong, `string of ${len} bytes exceeds stringBytesMax ${stringBytesMax}`);
          if (isKey && len === 9 && pos + 1 + need + 9 <= n && isProto(bytes, pos + 1 + need)) {
            return err(CodecErrorCode.protoKey, `map key "__proto__" at offset ${pos}`);
          }
          payload = len;
          break;
        case 0xdc: case 0xdd: // array 16/32
          count = len;
          break;
        default: // map 16/32
          count = len * 2;
          isMap = 1;
      }
      pos += 1 + need;
      if (count < 0) {
        if (payload > n - pos) return err(CodecErrorCode.truncated, `value at offset ${pos - 1 - need} runs past the end`);
        if (isStr && !isUtf8(bytes, pos, pos + payload)) return err(CodecErrorCode.badUtf8, `string at offset ${pos - 1 - need} is not valid UTF-8`);
        pos += payload;
      }
    }
    if (count >= 0) {
      // An empty container still counts as a level: `[]` is depth 1.
      if (depth >= depthMax) return err(CodecErrorCode.depth, `nesting deeper than depthMax ${depthMax}`);
      if (count > 0) {
        // Each item takes at least one byte, so a count beyond the bytes left is a lie (or a truncation).
        if (count > n - pos) return err(CodecErrorCode.truncated, `container before offset ${pos} declares ${count} items in ${n - pos} bytes`);
        entries += isMap === 1 ? count / 2 : count;
        if (entries > entriesMax) return err(CodecErrorCode.entries, `more than entriesMax ${entriesMax} entries`);
        // The container is an item of its parent: count it there, spill the parent, descend.
        remaining[depth] = rem - 1;
        inMap[depth] = map;
        depth++;
        rem = count;
        map = isMap;
        continue;
      }
    }
    // A complete item: count it and close every container it completes.
    if (depth > 0) {
      rem--;
      while (rem === 0 && depth > 0) {
        depth--;
        rem = remaining[depth]!;
        map = inMap[depth]!;
      }
    }
    if (depth === 0 && ends !== undefined) ends.push(pos);
  }
  if (depth > 0) return err(CodecErrorCode.truncated, 'input ends inside a container');
  return undefined;
}

// Bytes of the length field for heads 0xc0..0xdf; -1 marks 0xc1 (never used); 0 = fixed-size payload.
const LEN_BYTES = [
  0, -1, 0, 0, 1, 2, 4, 1, 2, 4, 0, 0, 0, 0, 0, 0, // c0..cf
  0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 2, 4, 2, 4, // d0..df
];

function readU32(b: Uint8Array, at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

function isProto(b: Uint8Array, at: number): boolean {
  for (let i = 0; i < 9; i++) if (b[at + i] !== PROTO[i]) return false;
  return true;
}
