/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written from the format's rules so that the
 * metrics test checks the output against the format, not against prom-client's idea of it:
 *
 * - lines end with `\n`; empty lines are ignored; `# HELP name text` (escapes `\\` and `\n` only) and
 *   `# TYPE name counter|gauge|histogram|summary|untyped` at most once per family, TYPE before its first sample;
 *   other `#` lines are comments;
 * - a sample is `name{label="value",…} value [timestamp]`: metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names
 *   `[a-zA-Z_][a-zA-Z0-9_]*` not starting with `__`, no label twice, values with escapes `\\`, `\"`, `\n` only,
 *   an optional trailing comma; the value a float (`NaN`, `+Inf`, `-Inf` allowed), the timestamp an integer;
 * - the lines of one family are contiguous; no series (name + label set) appears twice;
 * - histograms: only `_bucket` (with `le`), `_sum`, `_count`; per label set the buckets are cumulative
 *   (non-decreasing in `le`), one has `le="+Inf"` and equals `_count`; counters are never negative.
 */

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp: number | undefined;
}

/** One metric family. */
export interface PromFamily {
  name: string;
  help: string | undefined;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: PromSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN|nan)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parse `text`; throws an Error naming the line on the first violation. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>(); // families whose block ended: seeing them again breaks contiguity
  const series = new Set<string>();
  let current: string | undefined;
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const lines = text.split('\n');
  lines.pop();

  const family = (name: string, lineNo: number): PromFamily => {
    if (current !== name) {
      if (closed.has(name)) throw new Error(`line ${lineNo}: family ${name} is not contiguous`);
      if (current !== undefined) closed.add(current);
      current = name;
    }
    let f = families.get(name);
    if (f === undefined) {
      f = { name, help: undefined, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };

  lines.forEach((line, i) => {
    const n = i + 1;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (m === null) return; // a comment
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name!) || METRIC_NAME.exec(name!)![0] !== name) throw new Error(`line ${n}: bad metric name ${name}`);
      const f = family(name!, n);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${n}: second HELP for ${name}`);
        f.help = unescapeHelp(rest, n);
      } else {
        if (!TYPES.has(rest)) throw new Error(`line ${n}: bad type ${rest}`);
        if (f.samples.length > 0 || (f as { typed?: boolean }).typed) throw new Error(`line ${n}: TYPE for ${name} after its samples or twice`);
        (f as { typed?: boolean }).typed = true;
        f.type = rest as PromFamily['type'];
      }
      return;
    }
    const sample = parseSample(line, n);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) throw new Error(`line ${n}: duplicate series ${key}`);
    series.add(key);
    const owner = familyOf(sample.name, families, current);
    const f = family(owner, n);
    if (f.type === 'histogram') {
      const suffix = sample.name.slice(owner.length);
      if (!['_bucket', '_sum', '_count'].includes(suffix)) throw new Error(`line ${n}: ${sample.name} is not a histogram sample`);
      if ((suffix === '_bucket') !== ('le' in sample.labels)) throw new Error(`line ${n}: le must label exactly the buckets`);
    } else if (f.type !== 'summary' && sample.name !== owner) {
      throw new Error(`line ${n}: sample ${sample.name} inside family ${owner}`);
    }
    if (f.type === 'counter' && !(sample.value >= 0)) throw new Error(`line ${n}: counter ${sample.name} is ${sample.value}`);
    f.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function familyOf(sampleName: string, families: Map<string, PromFamily>, current: string | undefined): string {
  // A histogram's or summary's samples carry suffixes; they belong to the family being read when it is one.
  if (current !== undefined) {
    const f = families.get(current);
    if ((f?.type === 'histogram' || f?.type === 'summary') && sampleName.startsWith(current)) return current;
  }
  return sampleName;
}

function unescapeHelp(s: string, n: number): string {
  return s.replace(/\\(.?)/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new Error(`line ${n}: bad escape \\${c} in HELP`);
  });
}

function parseSample(line: string, n: number): PromSample {
  let rest = line;
  const nm = METRIC_NAME.exec(rest);
  if (nm === null) throw new Error(`line ${n}: no metric name`);
  const name = nm[0];
  rest = rest.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      if (rest.startsWith('}')) {
        rest = rest.slice(1);
        break;
      }
      const ln = LABEL_NAME.exec(rest);
      if (ln === null) throw new Error(`line ${n}: bad label name at ${JSON.stringify(rest.slice(0, 20))}`);
      const label = ln[0];
      if (label.startsWith('__')) throw new Error(`line ${n}: reserved label name ${label}`);
      if (label in labels) throw new Error(`line ${n}: label ${label} twice`);
      rest = rest.slice(label.length);
      if (!rest.startsWith('="')) throw new Error(`line ${n}: expected =" after ${label}`);
      rest = rest.slice(2);
      let value = '';
      for (;;) {
        const c = rest[0];
        if (c === undefined) throw new Error(`line ${n}: unterminated label value`);
        rest = rest.slice(1);
        if (c === '"') break;
        if (c === '\\') {
          const e = rest[0];
          rest = rest.slice(1);
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new Error(`line ${n}: bad escape \\${String(e)} in label value`);
        } else value += c;
      }
      labels[label] = value;
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`line ${n}: expected , or } after label ${label}`);
    }
  }
  if (!rest.startsWith(' ')) throw new Error(`line ${n}: expected a space before the value`);
  const parts = rest.slice(1).split(' ');
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '')) throw new Error(`line ${n}: expected "value [timestamp]", got ${JSON.stringify(rest)}`);
  const [v, ts] = parts as [string, string | undefined];
  if (!FLOAT.test(v)) throw new Error(`line ${n}: bad value ${v}`);
  const value = /^[+]?inf$/i.test(v) ? Infinity : /^-inf$/i.test(v) ? -Infinity : /^nan$/i.test(v) ? NaN : Number(v);
  if (ts !== undefined && !/^-?\d+$/.test(ts)) throw new Error(`line ${n}: bad timestamp ${ts}`);
  return { name, labels, value, timestamp: ts === undefined ? undefined : Number(ts) };
}

function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name.endsWith('_bucket')) {
      if (!FLOAT.test(le!)) throw new Error(`${f.name}: bad le ${le}`);
      g.buckets.push([/^\+?inf$/i.test(le!) ? Infinity : Number(le), s.value]);
    } else if (s.name.endsWith('_sum')) g.sum = s.value;
    else g.count = s.value;
  }
  for (const [key, g] of groups) {
    if (g.sum === undefined || g.count === undefined) throw new Error(`${f.name}${key}: _sum and _count are required`);
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.length === 0 || sorted[sorted.length - 1]![0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![0] === sorted[i - 1]![0]) throw new Error(`${f.name}${key}: le ${sorted[i]![0]} twice`);
      if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`${f.name}${key}: buckets are not cumulative at le ${sorted[i]![0]}`);
    }
    if (sorted[sorted.length - 1]![1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket ${sorted[sorted.length - 1]![1]} is not _count ${g.count}`);
    if (g.count < 0 || Number.isNaN(g.count)) throw new Error(`${f.name}${key}: bad _count`);
  }
}

/** The value of the one sample of `family` whose labels include `labels`; throws if none or several match. */
export function sampleValue(families: Map<string, PromFamily>, family: string, labels: Record<string, string> = {}, name = family): number {
  const f = families.get(family);
  if (f === undefined) throw new Error(`no family ${family}`);
  const hits = f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]!.value;
}
