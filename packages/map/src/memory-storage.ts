/**
 * An in-memory `MapStorage` for tests and for maps with `persist: false`, with a crash model.
 *
 * Each file remembers how many of its bytes are durable (synced). `crashImage(random)` returns the storage a
 * machine would find after power loss at this instant: every durable byte, plus a random prefix of the unsynced
 * tail, the kept unsynced part possibly overwritten by garbage. Directory operations are durable when they
 * resolve (the port's contract), so they survive whole. `halt()` makes every later operation fail, so a test
 * can stop a map mid-flight and inspect what had been acknowledged.
 */
import type { MapStorage } from './storage.js';

interface MemFile {
  bytes: Uint8Array;
  length: number;
  synced: number;
}

/** Options of a crash image. */
export interface CrashOptions {
  /** Probability that the kept unsynced tail is (partly) garbage instead of the written bytes. Default 0.5. */
  garbageProbability?: number;
}

/** An in-memory storage that can be halted and imaged as after a crash. */
export interface MemoryStorage extends MapStorage {
  /** Every later operation rejects with `Error('storage halted')`, as if the process died. */
  halt(): void;
  /** The storage after a crash at this instant; `random()` in [0,1) picks how much unsynced data survives. */
  crashImage(random: () => number, options?: CrashOptions): MemoryStorage;
  /** Bytes of every file (a copy), for assertions. */
  dump(): Map<string, Uint8Array>;
  /** Durable length of every file, for assertions. */
  syncedLengths(): Map<string, number>;
  /** Overwrite a file's bytes directly (tests of corrupt files); the result counts as durable. */
  poke(name: string, bytes: Uint8Array): void;
  /** Storage operations performed so far (a cheap clock for "crash after N operations"). */
  readonly operations: number;
}

/** Create an empty in-memory storage. */
export function createMemoryStorage(): MemoryStorage {
  return fromFiles(new Map());
}

function fromFiles(files: Map<string, MemFile>): MemoryStorage {
  let halted = false;
  let operations = 0;

  const step = (): void => {
    if (halted) throw new Error('storage halted');
    operations += 1;
  };
  const mustGet = (name: string): MemFile => {
    const file = files.get(name);
    if (file === undefined) throw Object.assign(new Error(`no such file: ${name}`), { code: 'ENOENT' });
    return file;
  };

  const storage: MemoryStorage = {
    get operations() {
      return operations;
    },
    async list() {
      step();
      return [...files.keys()].sort();
    },
    async read(name) {
      step();
      const file = files.get(name);
      return file === undefined ? undefined : file.bytes.slice(0, file.length);
    },
    async create(name) {
      step();
      files.set(name, { bytes: new Uint8Array(64), length: 0, synced: 0 });
    },
    async append(name, bytes) {
      step();
      const file = mustGet(name);
      if (file.length + bytes.length > file.bytes.length) {
        const grown = new Uint8Array(Math.max(file.bytes.length * 2, file.length + bytes.length));
        grown.set(file.bytes.subarray(0, file.length));
        file.bytes = grown;
      }
      file.bytes.set(bytes, file.length);
      file.length += bytes.length;
    },
    async sync(name) {
      step();
      const file = mustGet(name);
      file.synced = file.length;
    },
    async truncate(name, length) {
      step();
      const file = mustGet(name);
      file.length = Math.min(file.length, length);
      file.synced = file.length;
    },
    async writeAtomic(name, chunks) {
      step();
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const bytes = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      files.set(name, { bytes, length: total, synced: total });
    },
    async remove(name) {
      step();
      files.delete(name);
    },
    async close() {
      // Nothing to release; unsynced bytes stay unsynced, as with a real file.
    },
    halt() {
      halted = true;
    },
    crashImage(random, options = {}) {
      const garbage = options.garbageProbability ?? 0.5;
      const image = new Map<string, MemFile>();
      for (const [name, file] of files) {
        const unsynced = file.length - file.synced;
        const kept = unsynced === 0 ? 0 : Math.floor(random() * (unsynced + 1));
        const length = file.synced + kept;
        const bytes = file.bytes.slice(0, Math.max(length, 1));
        if (kept > 0 && random() < garbage) {
          // A torn write: the end of what survived is not what was written.
          const from = file.synced + Math.floor(random() * kept);
          for (let i = from; i < length; i++) bytes[i] = Math.floor(random() * 256);
        }
        image.set(name, { bytes, length, synced: length });
      }
      return fromFiles(image);
    },
    dump() {
      return new Map([...files].map(([name, file]) => [name, file.bytes.slice(0, file.length)]));
    },
    syncedLengths() {
      return new Map([...files].map(([name, file]) => [name, file.synced]));
    },
    poke(name, bytes) {
      files.set(name, { bytes: bytes.slice(), length: bytes.length, synced: bytes.length });
    },
  };
  return storage;
}
