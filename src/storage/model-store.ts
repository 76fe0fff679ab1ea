// Models saved in the browser by name: the Origin Private File System
// (navigator.storage.getDirectory(), a file per model in the folder
// "webgpu-bptt-models") where the browser has it, else IndexedDB (database
// "webgpu-bptt", store "models"). The bytes are what model.save() gives
// and loadModel takes. Works on the page and in workers.
import { BpttError, show } from '../errors';

/** Where models are stored: 'opfs', 'indexeddb', or 'auto' (OPFS when available, else IndexedDB). */
export type StorageBackend = 'opfs' | 'indexeddb' | 'auto';

/** Where a model is stored: OPFS, IndexedDB, or 'auto' (OPFS where it works, else IndexedDB). */
export interface StorageOptions {
  /** Default 'auto'. */
  backend?: StorageBackend;
}

/** A stored model. */
export interface StoredModel {
  name: string;
  /** Bytes. */
  size: number;
}

const DIR = 'webgpu-bptt-models';
const EXT = '.safetensors';
const DB = 'webgpu-bptt';
const STORE = 'models';
const MAX_NAME = 200;

const MAX_FILE = 255; // a file name in OPFS (and most file systems)

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME) {
    throw new BpttError('name', show(name), `must be a non-empty string of at most ${MAX_NAME} characters`);
  }
  // the same names in both stores: each must also make a file name in OPFS
  if (fileName(name).length > MAX_FILE) {
    throw new BpttError('name', show(name), `must URI-encode to at most ${MAX_FILE - EXT.length} characters (a file name in OPFS); this one takes ${encodeURIComponent(name).length}`);
  }
  return name;
}

function checkBackend(o: StorageOptions | undefined): StorageBackend {
  const b = o?.backend ?? 'auto';
  if (b !== 'opfs' && b !== 'indexeddb' && b !== 'auto') throw new BpttError('backend', show(b), 'must be "opfs", "indexeddb" or "auto"');
  return b;
}

// ---- OPFS: one file per model; the name is URI-encoded into the file name

type Dir = FileSystemDirectoryHandle & { entries(): AsyncIterable<[string, FileSystemHandle]> };

async function opfsDir(): Promise<Dir | null> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage || typeof storage.getDirectory !== 'function') return null;
  try {
    const root = await storage.getDirectory();
    const dir = await root.getDirectoryHandle(DIR, { create: true });
    // saving needs createWritable (Safari has it only in workers, as sync access handles)
    const probe = FileSystemFileHandle.prototype as { createWritable?: unknown };
    return typeof probe.createWritable === 'function' ? (dir as Dir) : null;
  } catch {
    return null;
  }
}

const fileName = (name: string) => encodeURIComponent(name) + EXT;

function isNotFound(e: unknown) {
  return (e as DOMException)?.name === 'NotFoundError';
}

// ---- IndexedDB: key = name, value = the bytes

function idb(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') throw new BpttError('storage', 'unavailable', 'neither OPFS nor IndexedDB is available here');
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function idbRun<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await idb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = f(tx.objectStore(STORE));
      let value: T;
      req.onsuccess = () => (value = req.result);
      tx.oncomplete = () => resolve(value);
      tx.onerror = () => reject(tx.error ?? req.error);
      tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
    });
  } finally {
    db.close();
  }
}

async function pick(o?: StorageOptions): Promise<{ kind: 'opfs'; dir: Dir } | { kind: 'indexeddb' }> {
  const b = checkBackend(o);
  if (b === 'indexeddb') return { kind: 'indexeddb' };
  const dir = await opfsDir();
  if (dir) return { kind: 'opfs', dir };
  if (b === 'opfs') throw new BpttError('backend', '"opfs"', 'the Origin Private File System (navigator.storage.getDirectory with createWritable) is not available here');
  return { kind: 'indexeddb' };
}

/** Save `bytes` (model.save()) under `name`, replacing a model of that name. */
export async function saveModelToStorage(name: string, bytes: Uint8Array, options?: StorageOptions): Promise<void> {
  checkName(name);
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new BpttError('bytes', show(bytes), 'must be a non-empty Uint8Array (model.save())');
  const s = await pick(options);
  if (s.kind === 'opfs') {
    const file = await s.dir.getFileHandle(fileName(name), { create: true });
    const w = await file.createWritable();
    try {
      await w.write(bytes as Uint8Array<ArrayBuffer>);
      await w.close();
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
  } else {
    const copy = bytes.slice(); // detached-proof: IndexedDB clones it
    await idbRun('readwrite', (st) => st.put(copy, name));
  }
}

/** The bytes stored under `name` (a BpttError naming it when there is none). */
export async function loadModelFromStorage(name: string, options?: StorageOptions): Promise<Uint8Array> {
  checkName(name);
  const s = await pick(options);
  const missing = () => new BpttError('name', show(name), `is not a stored model (${s.kind}); listStoredModels() names them`);
  if (s.kind === 'opfs') {
    try {
      const file = await (await s.dir.getFileHandle(fileName(name))).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      if (isNotFound(e)) throw missing();
      throw e;
    }
  }
  const v = await idbRun<unknown>('readonly', (st) => st.get(name));
  if (v === undefined) throw missing();
  return v instanceof Uint8Array ? v : new Uint8Array(v as ArrayBuffer);
}

/** The stored models, by name. */
export async function listStoredModels(options?: StorageOptions): Promise<StoredModel[]> {
  const s = await pick(options);
  const out: StoredModel[] = [];
  if (s.kind === 'opfs') {
    for await (const [file, handle] of s.dir.entries()) {
      if (handle.kind !== 'file' || !file.endsWith(EXT)) continue;
      const f = await (handle as FileSystemFileHandle).getFile();
      out.push({ name: decodeURIComponent(file.slice(0, -EXT.length)), size: f.size });
    }
  } else {
    const db = await idb();
    try {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(STORE, 'readonly');
        const req = tx.objectStore(STORE).openCursor();
        req.onsuccess = () => {
          const c = req.result;
          if (!c) return;
          out.push({ name: String(c.key), size: (c.value as Uint8Array).byteLength });
          c.continue();
        };
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Delete the model stored under `name`; resolves false when there was none. */
export async function deleteStoredModel(name: string, options?: StorageOptions): Promise<boolean> {
  checkName(name);
  const s = await pick(options);
  if (s.kind === 'opfs') {
    try {
      await s.dir.removeEntry(fileName(name));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }
  const had = await idbRun<number>('readonly', (st) => st.count(name));
  if (had === 0) return false;
  await idbRun('readwrite', (st) => st.delete(name));
  return true;
}
