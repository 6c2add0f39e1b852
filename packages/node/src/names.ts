/**
 * Names of maps and replica instances, and the directory a map's files live in.
 *
 * A name is the broadcast tag of its instance (1..128 bytes of UTF-8, the replica driver's bound). Names starting
 * with `rumor.` are reserved for the node's own instances. The directory name is an injective encoding of the name
 * (letters, digits, `-`, `_`, `.` kept; every other UTF-8 byte as `%XX`), so any name maps to one safe path
 * component and back.
 */
import { NodeError, NodeErrorCode } from './errors.js';

/** Longest instance name, in UTF-8 bytes. */
export const NAME_BYTES_MAX = 128;

/** Prefix of the node's own instance names. */
export const RESERVED_PREFIX = 'rumor.';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throw `node.bad-name` unless `name` is usable for a map or replica. */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new NodeError(NodeErrorCode.badName, 'a name is a string');
  const n = Buffer.byteLength(name, 'utf8');
  if (n < 1 || n > NAME_BYTES_MAX) throw new NodeError(NodeErrorCode.badName, `name must be 1..${NAME_BYTES_MAX} bytes of UTF-8, got ${n}`);
  if (/^\.+$/.test(name)) throw new NodeError(NodeErrorCode.badName, `name ${JSON.stringify(name)} is not allowed`);
  if (name.startsWith(RESERVED_PREFIX)) throw new NodeError(NodeErrorCode.badName, `names starting with "${RESERVED_PREFIX}" are reserved`);
  if (/[\u0000-\u001f]/.test(name) || LONE_SURROGATE.test(name)) throw new NodeError(NodeErrorCode.badName, 'name has control characters or lone surrogates');
}

/** The directory component of a map name. */
export function dirOfName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The map name of a directory component, or undefined if it is not one `dirOfName` produces. */
export function nameOfDir(dir: string): string | undefined {
  if (!/^([A-Za-z0-9._-]|%[0-9A-F]{2})+$/.test(dir)) return undefined;
  try {
    const name = decodeURIComponent(dir);
    return dirOfName(name) === dir ? name : undefined;
  } catch {
    return undefined;
  }
}
