/**
 * Where a client keeps what must outlive a connection — the sync cursor, and the sends not yet
 * acknowledged — so that a reconnect (or, with a persistent store, a page reload) catches up
 * from where it was and sends each message exactly once.
 */

import type { Outgoing } from "./protocol.js";

/** A send waiting for its acknowledgement. Its `clientMsgId` makes a retry store nothing new. */
export interface PendingSend {
  clientMsgId: string;
  message: Outgoing;
  /** When it was first queued, ms since the epoch. */
  queuedAt: number;
}

/** What a store holds. */
export interface Saved {
  /** Where the last sync walk ended. */
  cursor?: string;
  /** Sends not yet acknowledged. */
  outbox: PendingSend[];
  /** The ids of the latest messages delivered (live ones are past the cursor). */
  seen: string[];
}

/** A place to keep what a client must not forget. Methods may be synchronous or not. */
export interface ClientStore {
  load(): Saved | Promise<Saved>;
  /** Keeps the parts given, leaving the others as they are. */
  save(changes: Partial<Saved>): void | Promise<void>;
}

function copy(saved: Partial<Saved>): Saved {
  return {
    cursor: typeof saved.cursor === "string" ? saved.cursor : undefined,
    outbox: Array.isArray(saved.outbox) ? [...saved.outbox] : [],
    seen: Array.isArray(saved.seen) ? [...saved.seen] : [],
  };
}

/** Kept in memory: survives reconnects, not a reload. The default. */
export class MemoryStore implements ClientStore {
  private saved: Saved = copy({});

  load(): Saved {
    return copy(this.saved);
  }

  save(changes: Partial<Saved>): void {
    this.saved = copy({ ...this.saved, ...changes });
  }
}

/** The part of the Web Storage API this store uses (`localStorage`, `sessionStorage`). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * Kept in `localStorage` (or any Web Storage) under `key` — one key per signed-in user — so
 * pending sends survive a page reload.
 */
export class LocalStorageStore implements ClientStore {
  constructor(
    private readonly key: string,
    private readonly storage: KeyValueStorage = (globalThis as { localStorage?: KeyValueStorage })
      .localStorage as KeyValueStorage,
  ) {
    if (!this.storage) throw new Error("LocalStorageStore: no localStorage here");
  }

  load(): Saved {
    try {
      return copy(JSON.parse(this.storage.getItem(this.key) ?? "{}") as Partial<Saved>);
    } catch {
      return copy({});
    }
  }

  save(changes: Partial<Saved>): void {
    this.storage.setItem(this.key, JSON.stringify({ ...this.load(), ...changes }));
  }
}

/**
 * Kept in IndexedDB (database `name`, one record per signed-in user under `key`): like
 * `LocalStorageStore`, without Web Storage's size limit and without blocking the page.
 */
export class IndexedDbStore implements ClientStore {
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly key: string,
    private readonly name = "imcluster",
    private readonly factory: IDBFactory = (globalThis as { indexedDB?: IDBFactory }).indexedDB as IDBFactory,
  ) {
    if (!this.factory) throw new Error("IndexedDbStore: no indexedDB here");
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = this.factory.open(this.name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("clients");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.db;
  }

  private async run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const request = work(db.transaction("clients", mode).objectStore("clients"));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async load(): Promise<Saved> {
    return copy(((await this.run("readonly", (s) => s.get(this.key))) as Partial<Saved>) ?? {});
  }

  /** Read and written in one transaction, so saves made at once never lose each other's parts. */
  async save(changes: Partial<Saved>): Promise<void> {
    const db = await this.open();
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction("clients", "readwrite");
      const store = tx.objectStore("clients");
      const read = store.get(this.key);
      read.onsuccess = () => store.put(copy({ ...(read.result ?? {}), ...changes }), this.key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
}
