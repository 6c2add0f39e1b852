import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStorage, createWal, MapErrorCode } from '@rumor/map';
import { runs } from './helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rumor-map-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createFileStorage', () => {
  it('creates its directory, appends, reads, truncates and removes files', async () => {
    const storage = createFileStorage({ dir: join(dir, 'maps', 'm') });
    expect(await storage.list()).toEqual([]);
    await storage.create('a.wal');
    await storage.append('a.wal', new Uint8Array([1, 2, 3]));
    await storage.append('a.wal', new Uint8Array([4]));
    await storage.sync('a.wal');
    expect(await storage.read('a.wal')).toEqual(new Uint8Array([1, 2, 3, 4]));
    await storage.truncate('a.wal', 2);
    await storage.append('a.wal', new Uint8Array([9]));
    expect(await storage.read('a.wal')).toEqual(new Uint8Array([1, 2, 9]));
    expect(await storage.read('missing')).toBeUndefined();
    await storage.remove('a.wal');
    await storage.remove('a.wal'); // absent: no error
    expect(await storage.list()).toEqual([]);
    await storage.close();
  });

  it('refuses to append to a file that was never created', async () => {
    const storage = createFileStorage({ dir });
    await expect(storage.append('nope.wal', new Uint8Array([1]))).rejects.toMatchObject({ code: 'ENOENT' });
    await storage.close();
  });

  it('writeAtomic replaces the whole file and leaves no temp file behind', async () => {
    const storage = createFileStorage({ dir });
    await storage.writeAtomic('s.snap', [new Uint8Array([1]), new Uint8Array([2, 3])]);
    await storage.writeAtomic('s.snap', [new Uint8Array([7])]);
    expect(await storage.read('s.snap')).toEqual(new Uint8Array([7]));
    expect(await readdir(dir)).toEqual(['s.snap']);
    // A leftover temp file of a crashed atomic write is not listed.
    await writeFile(join(dir, 'x.snap.tmp'), 'partial');
    expect(await storage.list()).toEqual(['s.snap']);
    await storage.close();
  });

  it('rejects names that could leave the directory', async () => {
    const storage = createFileStorage({ dir });
    await expect(storage.read('../etc')).rejects.toThrow(/bad storage file name/);
    await expect(storage.create('.hidden')).rejects.toThrow(/bad storage file name/);
    await storage.close();
  });
});

describe('WAL on files: a crash cuts the log at an arbitrary offset (property)', () => {
  it('recovers exactly the intact prefix, never a corrupt record, and keeps working', async () => {
    // One log written once; each run damages a copy at a random offset, like a power cut mid-write.
    const storage = createFileStorage({ dir: join(dir, 'src') });
    const wal = createWal({}, { storage });
    await wal.recover();
    const values = Array.from({ length: 40 }, (_, i) => ({ i, pad: 'x'.repeat(i % 7) }));
    const ends: number[] = [];
    for (const v of values) {
      const framed = wal.frame(v);
      if (!framed.ok) throw new Error(framed.error.message);
      await wal.append(framed.value, true);
      ends.push((ends.at(-1) ?? 0) + framed.value.length);
    }
    await wal.close();
    const original = await readFile(join(dir, 'src', 'log-0000000001.wal'));
    expect(original.length).toBe(ends.at(-1));

    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: original.length }), fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }), async (cut, garbage) => {
        const copy = join(dir, `run-${run++}`);
        const bytes = Buffer.from(original.subarray(0, cut));
        // Garbage over the last byte that survived (a torn sector), if any survived.
        if (garbage !== undefined && cut > 0) bytes[cut - 1] = bytes[cut - 1]! ^ (garbage | 1);
        const s = createFileStorage({ dir: copy });
        await s.create('log-0000000001.wal');
        await s.append('log-0000000001.wal', bytes);
        await s.close();
        const warnings: string[] = [];
        const w = createWal({}, { storage: createFileStorage({ dir: copy }), log: { warn: (x) => warnings.push(x.code) } });
        const recovered = await w.recover();
        const damaged = garbage !== undefined && cut > 0;
        const intact = ends.filter((e) => e <= cut && !(damaged && e === cut)).length;
        expect(recovered.records).toEqual(values.slice(0, intact));
        const clean = ends.includes(cut) && !damaged ? true : cut === 0;
        expect(warnings).toEqual(clean ? [] : [MapErrorCode.logTailCut]);
        expect((await stat(join(copy, 'log-0000000001.wal'))).size).toBe(intact === 0 ? 0 : ends[intact - 1]);
        const more = w.frame('more');
        if (!more.ok) throw new Error('frame');
        await w.append(more.value, true);
        await w.close();
        const again = createWal({}, { storage: createFileStorage({ dir: copy }) });
        expect((await again.recover()).records).toEqual([...values.slice(0, intact), 'more']);
        await again.close();
        await rm(copy, { recursive: true, force: true });
      }),
      { numRuns: runs(60) },
    );
  });

  it('a snapshot survives as a whole file; a truncated snapshot is refused', async () => {
    const storage = createFileStorage({ dir });
    const wal = createWal({}, { storage });
    await wal.recover();
    const f = (v: unknown): Uint8Array => {
      const r = wal.frame(v);
      if (!r.ok) throw new Error('frame');
      return r.value;
    };
    await wal.append(f('a'), true);
    await wal.rotate().commit([f(['a']), f(['b'])]);
    await wal.close();
    expect((await readdir(dir)).sort()).toEqual(['log-0000000002.wal', 'snapshot-0000000002.snap']);
    const ok = createWal({}, { storage: createFileStorage({ dir }) });
    expect(await ok.recover()).toMatchObject({ snapshot: [['a'], ['b']], records: [] });
    await ok.close();
    const size = (await stat(join(dir, 'snapshot-0000000002.snap'))).size;
    await truncate(join(dir, 'snapshot-0000000002.snap'), size - 1);
    const bad = createWal({}, { storage: createFileStorage({ dir }) });
    await expect(bad.recover()).rejects.toMatchObject({ code: MapErrorCode.snapshotCorrupt });
    await bad.close();
  });
});
