import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMemoryStorage, createWal, MapErrorCode, type MemoryStorage, type Wal, type WalInit } from '@rumor/map';
import { runs } from './helpers.js';

const frame = (wal: Wal, value: unknown): Uint8Array => {
  const r = wal.frame(value);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

async function open(storage: MemoryStorage, init: WalInit = {}, timers?: ManualTimers): Promise<{ wal: Wal; recovered: Awaited<ReturnType<Wal['recover']>> }> {
  const wal = createWal(init, { storage, ...(timers ? { timers } : {}) });
  const recovered = await wal.recover();
  return { wal, recovered };
}

class ManualTimers {
  pending: { fn: () => void; cancelled: boolean }[] = [];
  setTimer(_ms: number, fn: () => void): () => void {
    const t = { fn, cancelled: false };
    this.pending.push(t);
    return () => {
      t.cancelled = true;
    };
  }
  fire(): void {
    const due = this.pending;
    this.pending = [];
    for (const t of due) if (!t.cancelled) t.fn();
  }
}

const ticks = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('createWal', () => {
  it('recovers nothing from empty storage and creates the first segment', async () => {
    const storage = createMemoryStorage();
    const { recovered } = await open(storage);
    expect(recovered).toEqual({ snapshot: [], records: [], warnings: [] });
    expect([...storage.dump().keys()]).toEqual(['log-0000000001.wal']);
  });

  it('always: a durable append is fsynced before it resolves', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    await wal.append(frame(wal, { n: 1 }), true);
    const name = 'log-0000000001.wal';
    expect(storage.syncedLengths().get(name)).toBe(storage.dump().get(name)!.length);
    expect(wal.stats().fsyncs).toBe(1);
    const { recovered } = await open(storage.crashImage(() => 0.999));
    expect(recovered.records).toEqual([{ n: 1 }]);
  });

  it('always: concurrent appends share fsyncs (group commit) and keep their order', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append(frame(wal, i), true)));
    expect(wal.stats().fsyncs).toBeLessThan(50);
    expect(wal.stats().fsyncs).toBeGreaterThanOrEqual(1);
    const { recovered } = await open(storage.crashImage(() => 0));
    expect(recovered.records).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('non-durable appends are written without an fsync of their own', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    await wal.append(frame(wal, 'remote'), false);
    expect(wal.stats().fsyncs).toBe(0);
    expect(wal.stats().unsyncedRecords).toBe(1);
  });

  it('batch: resolves only after the fsync the timer or the record count triggers', async () => {
    const storage = createMemoryStorage();
    const timers = new ManualTimers();
    const { wal } = await open(storage, { fsync: 'batch', batchRecords: 3 }, timers);
    let done = 0;
    void wal.append(frame(wal, 1), true).then(() => (done += 1));
    await ticks();
    expect(done).toBe(0);
    expect(wal.stats().pendingDurable).toBe(1);
    timers.fire();
    await ticks();
    expect(done).toBe(1);
    expect(wal.stats().fsyncs).toBe(1);
    // Three records reach batchRecords: fsync without waiting for the timer.
    await Promise.all([1, 2, 3].map((n) => wal.append(frame(wal, n), true)));
    expect(wal.stats().fsyncs).toBe(2);
  });

  it('never: resolves without fsync; flush and close fsync', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage, { fsync: 'never' });
    await wal.append(frame(wal, 1), true);
    expect(wal.stats().fsyncs).toBe(0);
    await wal.flush();
    expect(wal.stats().fsyncs).toBe(1);
    await wal.append(frame(wal, 2), true);
    await wal.close();
    expect(storage.syncedLengths().get('log-0000000001.wal')).toBe(storage.dump().get('log-0000000001.wal')!.length);
  });

  it('cuts a torn tail with a warning and keeps appending after the intact prefix', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    for (let i = 0; i < 5; i++) await wal.append(frame(wal, { i }), true);
    await wal.close();
    const name = 'log-0000000001.wal';
    const bytes = storage.dump().get(name)!;
    const intact = bytes.length;
    storage.poke(name, new Uint8Array([...bytes, 0, 0, 0, 9, 1, 2, 3]));
    const warnings: unknown[] = [];
    const wal2 = createWal({}, { storage, log: { warn: (w) => warnings.push(w) } });
    const recovered = await wal2.recover();
    expect(recovered.records).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    expect(recovered.warnings.map((w) => w.code)).toEqual([MapErrorCode.logTailCut]);
    expect(warnings).toHaveLength(1);
    expect(storage.dump().get(name)!.length).toBe(intact);
    await wal2.append(frame(wal2, 'after'), true);
    const { recovered: again } = await open(storage.crashImage(() => 0));
    expect(again.records.at(-1)).toBe('after');
    expect(again.warnings).toEqual([]);
  });

  it('never applies a record whose bytes were corrupted, nor anything after it', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    for (let i = 0; i < 4; i++) await wal.append(frame(wal, `value-${i}`), true);
    const name = 'log-0000000001.wal';
    const bytes = storage.dump().get(name)!;
    const oneRecord = bytes.length / 4;
    bytes[Math.floor(oneRecord * 2.5)]! ^= 0xff; // inside the third record's payload
    storage.poke(name, bytes);
    const { recovered } = await open(storage);
    expect(recovered.records).toEqual(['value-0', 'value-1']);
  });

  it('a snapshot covers and removes the older segment; recovery is snapshot then newer records', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    await wal.append(frame(wal, 'a'), true);
    const ticket = wal.rotate();
    const after = wal.append(frame(wal, 'b'), true);
    await ticket.commit([frame(wal, ['a'])]);
    await after;
    expect([...storage.dump().keys()].sort()).toEqual(['log-0000000002.wal', 'snapshot-0000000002.snap']);
    expect(wal.stats().snapshots).toBe(1);
    const { recovered } = await open(storage.crashImage(() => 0));
    expect(recovered.snapshot).toEqual([['a']]);
    expect(recovered.records).toEqual(['b']);
  });

  it('records queued before rotate() land in the old segment', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    const before = wal.append(frame(wal, 'old'), true);
    const ticket = wal.rotate();
    const after = wal.append(frame(wal, 'new'), true);
    await Promise.all([before, after]);
    // Crash before the snapshot was committed: both segments replay.
    const { recovered } = await open(storage.crashImage(() => 0));
    expect(recovered.records).toEqual(['old', 'new']);
    await ticket.commit([frame(wal, ['old'])]);
  });

  it('refuses a corrupt snapshot with map.snapshot-corrupt', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    await wal.rotate().commit([frame(wal, 'x'), frame(wal, 'y')]);
    const bytes = storage.dump().get('snapshot-0000000002.snap')!;
    storage.poke('snapshot-0000000002.snap', bytes.subarray(0, bytes.length - 3));
    const wal2 = createWal({}, { storage });
    await expect(wal2.recover()).rejects.toMatchObject({ code: MapErrorCode.snapshotCorrupt });
  });

  it('fails every pending append with map.storage-failed after an I/O error, and refuses more', async () => {
    const storage = createMemoryStorage();
    const { wal } = await open(storage);
    storage.halt();
    await expect(wal.append(frame(wal, 1), true)).rejects.toMatchObject({ code: MapErrorCode.storageFailed });
    await expect(wal.append(frame(wal, 2), true)).rejects.toMatchObject({ code: MapErrorCode.storageFailed });
    expect(wal.stats().failed).toMatch(/halted/);
  });

  it('rejects a bad fsync policy as a programmer error', () => {
    expect(() => createWal({ fsync: 'sometimes' as never }, { storage: createMemoryStorage() })).toThrow(/fsync policy/);
  });
});

describe('crash at any instant (property)', () => {
  type Step = { kind: 'append'; durable: boolean } | { kind: 'wait'; ticks: number } | { kind: 'snapshot' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: fc.boolean().map((durable) => ({ kind: 'append' as const, durable })) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ kind: 'wait' as const, ticks: n })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
  );

  for (const policy of ['always', 'batch', 'never'] as const) {
    it(`${policy}: recovery holds every acknowledged durable record and nothing never written`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 2 ** 31 }), async (steps, crashAt, seed) => {
          const storage = createMemoryStorage();
          const wal = createWal({ fsync: policy, batchIntervalMs: 0, batchRecords: 4 }, { storage });
          await wal.recover();
          const written: number[] = [];
          const acked = new Set<number>();
          const crashStep = crashAt % (steps.length + 1);
          let next = 0;
          for (let i = 0; i < steps.length && i < crashStep; i++) {
            const s = steps[i]!;
            if (s.kind === 'append') {
              const n = next++;
              written.push(n);
              // `never` acknowledges before the fsync: only process crashes (not power loss) keep those.
              wal.append(frame(wal, n), s.durable).then(() => s.durable && policy !== 'never' && acked.add(n), () => undefined);
            } else if (s.kind === 'wait') {
              await ticks(s.ticks);
            } else {
              const ticket = wal.rotate();
              // The state a map captures at rotate time: everything handed to the log so far.
              ticket.commit([frame(wal, [...written])]).catch(() => undefined);
            }
          }
          const rng = mulberry32(seed);
          const image = storage.crashImage(rng);
          storage.halt();
          const { recovered } = await open(image);
          const seen = new Set<number>();
          for (const chunk of recovered.snapshot) for (const n of chunk as number[]) seen.add(n);
          for (const n of recovered.records as number[]) seen.add(n);
          for (const n of acked) expect(seen.has(n)).toBe(true);
          for (const n of seen) expect(written.includes(n)).toBe(true);
        }),
        { numRuns: runs(150) },
      );
    });
  }
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
