/**
 * The embedded default `MapStorage`: plain files in one directory (under the node's data directory), through
 * node:fs/promises. No external service.
 *
 * Durability follows the port contract: appends go through one open handle per file and become durable on
 * `sync` (fdatasync); new files, truncations, renames and removals are followed by an fsync of the directory so
 * that the directory entry survives a crash too; atomic writes are temp file + fsync + rename + directory fsync.
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MapStorage } from './storage.js';

/** Where the files live. */
export interface FileStorageInit {
  /** The directory of this map's files; created (recursively) on first use. */
  dir: string;
}

const TEMP_SUFFIX = '.tmp';

/** Create a file-backed storage rooted at `init.dir`. */
export function createFileStorage(init: FileStorageInit): MapStorage {
  const dir = init.dir;
  const handles = new Map<string, FileHandle>();
  let ready: Promise<void> | undefined;

  const ensureDir = (): Promise<void> => (ready ??= mkdir(dir, { recursive: true }).then(() => undefined));
  const path = (name: string): string => {
    // Names come from the WAL module, never from the network; still refuse anything that could leave the dir.
    if (name.length === 0 || name.includes('/') || name.includes('\\') || name.startsWith('.')) {
      throw new Error(`bad storage file name: ${JSON.stringify(name)}`);
    }
    return join(dir, name);
  };
  const syncDir = async (): Promise<void> => {
    let handle: FileHandle | undefined;
    try {
      handle = await open(dir, 'r');
      await handle.sync();
    } catch (error) {
      // Some platforms (Windows) cannot open or fsync a directory; rename durability is then the OS's.
      if (!isCode(error, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF')) throw error;
    } finally {
      await handle?.close();
    }
  };
  const handleFor = async (name: string): Promise<FileHandle> => {
    let handle = handles.get(name);
    if (handle === undefined) {
      // O_APPEND without O_CREAT: appending to a file nobody created durably is a bug, not a silent create.
      handle = await open(path(name), constants.O_WRONLY | constants.O_APPEND);
      handles.set(name, handle);
    }
    return handle;
  };
  const closeHandle = async (name: string): Promise<void> => {
    const handle = handles.get(name);
    handles.delete(name);
    await handle?.close();
  };

  return {
    async list() {
      await ensureDir();
      const names = await readdir(dir);
      return names.filter((n) => !n.endsWith(TEMP_SUFFIX) && !n.startsWith('.')).sort();
    },
    async read(name) {
      await ensureDir();
      try {
        return new Uint8Array(await readFile(path(name)));
      } catch (error) {
        if (isCode(error, 'ENOENT')) return undefined;
        throw error;
      }
    },
    async create(name) {
      await ensureDir();
      await closeHandle(name);
      const created = await open(path(name), 'w');
      await created.sync();
      await created.close();
      await syncDir();
    },
    async append(name, bytes) {
      const handle = await handleFor(name);
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
        written += bytesWritten;
      }
    },
    async sync(name) {
      const handle = await handleFor(name);
      await handle.datasync();
    },
    async truncate(name, length) {
      const handle = await handleFor(name);
      await handle.truncate(length);
      await handle.sync();
    },
    async writeAtomic(name, chunks) {
      await ensureDir();
      const temp = path(name) + TEMP_SUFFIX;
      const handle = await open(temp, 'w');
      try {
        for (const chunk of chunks) {
          let written = 0;
          while (written < chunk.length) {
            const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
            written += bytesWritten;
          }
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await closeHandle(name);
      await rename(temp, path(name));
      await syncDir();
    },
    async remove(name) {
      await ensureDir();
      await closeHandle(name);
      await rm(path(name), { force: true });
      await syncDir();
    },
    async close() {
      const open = [...handles.values()];
      handles.clear();
      await Promise.all(open.map((h) => h.close()));
    },
  };
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return typeof error === 'object' && error !== null && codes.includes(String((error as { code?: unknown }).code));
}
