/**
 * Structured logs for a node: levels, one line per event, as JSON (`json: true`, for log shippers) or as
 * `time LEVEL message key=value …` text for people. It fits every layer's `Logger` port (`debug`/`warn`, and the
 * node's `info`), so the node passes one logger down as `log`.
 *
 * Guarantees: a field whose key names a secret (secret, token, password, authorization, cookie, api key,
 * credential, private key — at any depth) is written as `[redacted]`, and `Bearer <token>` inside any string is
 * cut; one event is exactly one line (control characters are escaped, so a peer id with a newline cannot forge a
 * second line); strings, depth and array lengths are bounded; logging never throws into the caller.
 */

/** Severity, lowest first; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Extra fields of one event (peer ids, codes, sizes); untrusted strings are fine, they are escaped. */
export type LogFields = Record<string, unknown>;

/** Options of `createLogger`. */
export interface LoggerInit {
  /** Lowest level written. Default `'info'`. */
  level?: LogLevel;
  /** One JSON object per line instead of text. Default false. */
  json?: boolean;
  /** Fields added to every event (e.g. `{ node: id }`). Default none. */
  fields?: LogFields;
  /** More key names (case-insensitive substrings) to redact, besides the built-in ones. Default none. */
  redactKeys?: readonly string[];
  /** Longest string value written, in characters; longer ones are cut with `…`. Default 2 048. */
  stringCharsMax?: number;
}

/** Where lines go and what time it is; defaults: standard error, `Date.now`. */
export interface LoggerComponents {
  /** Receives one complete line, newline included. */
  write?: (line: string) => void;
  now?: () => number;
}

/** A structured logger. */
export interface Logger {
  readonly level: LogLevel;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every event (e.g. `{ peer }` or `{ map }`). */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_KEY = /secret|token|passw(?:or)?d|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key/i;
const BEARER = /\b(Bearer|Basic)\s+[^\s"',;]+/gi;
const DEPTH_MAX = 4;
const ITEMS_MAX = 64;
/** What a redacted value is written as. */
export const REDACTED = '[redacted]';

/** Whether a field key names a secret (the built-in list). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Create a logger (see the module comment for what it guarantees). */
export function createLogger(init: LoggerInit = {}, components: LoggerComponents = {}): Logger {
  const level = init.level ?? 'info';
  if (!(level in RANK)) throw new TypeError(`log level must be debug, info, warn, error or silent, got ${String(level)}`);
  const json = init.json ?? false;
  const charsMax = init.stringCharsMax ?? 2048;
  const extra = (init.redactKeys ?? []).map((k) => k.toLowerCase());
  const write = components.write ?? ((line: string) => void process.stderr.write(line));
  const now = components.now ?? Date.now;
  const secretKey = (key: string): boolean => isSecretKey(key) || extra.some((k) => key.toLowerCase().includes(k));

  const clean = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    switch (typeof value) {
      case 'string':
        return cut(value.replace(BEARER, `$1 ${REDACTED}`), charsMax);
      case 'number':
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString();
      case 'undefined':
        return undefined;
      case 'symbol':
      case 'function':
        return `[${typeof value}]`;
    }
    if (value === null) return null;
    const obj = value as object;
    if (seen.has(obj)) return '[circular]';
    if (depth >= DEPTH_MAX) return '[depth]';
    seen.add(obj);
    try {
      if (obj instanceof Error) {
        const code = (obj as { code?: unknown }).code;
        return { name: obj.name, message: clean(obj.message, depth + 1, seen), ...(code === undefined ? {} : { code: clean(code, depth + 1, seen) }) };
      }
      if (obj instanceof Uint8Array) return `[${obj.byteLength} bytes]`;
      if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
      if (Array.isArray(obj)) {
        const out = obj.slice(0, ITEMS_MAX).map((v) => clean(v, depth + 1, seen));
        if (obj.length > ITEMS_MAX) out.push(`[${obj.length - ITEMS_MAX} more]`);
        return out;
      }
      if (obj instanceof Map || obj instanceof Set) return clean(Object.fromEntries(obj instanceof Map ? obj : [...obj].map((v, i) => [i, v])), depth, seen);
      return cleanFields(obj as LogFields, depth + 1, seen);
    } finally {
      seen.delete(obj);
    }
  };

  const cleanFields = (fields: LogFields, depth: number, seen: WeakSet<object>): LogFields => {
    const out: LogFields = {};
    let n = 0;
    for (const [key, v] of Object.entries(fields)) {
      if (n++ >= ITEMS_MAX) {
        out['…'] = `${Object.keys(fields).length - ITEMS_MAX} more`;
        break;
      }
      const k = cut(key, 128);
      out[k] = secretKey(key) ? REDACTED : clean(v, depth, seen);
    }
    return out;
  };

  function make(bound: LogFields): Logger {
    const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields: LogFields | undefined): void => {
      if (RANK[lvl] < RANK[level]) return;
      try {
        const seen = new WeakSet<object>();
        const all = cleanFields({ ...bound, ...(fields ?? {}) }, 0, seen);
        // A field cannot pass itself off as the line's own time, level or message.
        for (const key of ['time', 'level', 'msg']) {
          if (key in all) {
            all[`field.${key}`] = all[key];
            delete all[key];
          }
        }
        const msg = String(clean(String(message), 0, seen));
        const time = new Date(now()).toISOString();
        write(json ? `${escapeSeparators(JSON.stringify({ time, level: lvl, msg, ...all }))}\n` : `${time} ${lvl.toUpperCase().padEnd(5)} ${escapeControl(msg)}${textFields(all)}\n`);
      } catch {
        // A logger never breaks its caller; a line that cannot be written is lost.
      }
    };
    return {
      level,
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...bound, ...fields }),
    };
  }

  return make(init.fields ?? {});
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;

function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON.stringify keeps U+2028/U+2029, which some viewers take as line breaks. */
function escapeSeparators(s: string): string {
  return s.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function textFields(fields: LogFields): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const key = escapeControl(k).replace(/[\s=]/g, '_');
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${key}=${/^[^\s"=\\\u0000-\u001f\u007f\u2028\u2029]+$/.test(s) ? s : escapeControl(JSON.stringify(s))}`;
  }
  return out;
}
