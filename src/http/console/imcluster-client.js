// @imcluster/client, bundled from clients/js by `npm run bundle`: do not edit.
var __defProp = Object.defineProperty;
var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

// src/backoff.ts
function backoffDelay(attempt, options = {}, random = Math.random) {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 3e4;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * ceiling / 2;
}

// src/emitter.ts
var Emitter = class {
  constructor() {
    __publicField(this, "handlers", {});
  }
  on(name, handler) {
    var _a;
    const set = (_a = this.handlers)[name] ?? (_a[name] = /* @__PURE__ */ new Set());
    set.add(handler);
    return () => set.delete(handler);
  }
  /** Resolves with the next `name` event (for scripts and tests). */
  once(name) {
    return new Promise((resolve) => {
      const off = this.on(name, (value) => {
        off();
        resolve(value);
      });
    });
  }
  emit(name, value) {
    for (const handler of [...this.handlers[name] ?? []]) {
      try {
        handler(value);
      } catch (e) {
        console.error("imcluster client: an event handler threw", e);
      }
    }
  }
};

// src/errors.ts
var ImError = class extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
    this.name = "ImError";
  }
};
var RETRIED_CODES = /* @__PURE__ */ new Set(["IM:Unavailable", "IM:RateLimited"]);

// src/store.ts
function copy(saved) {
  return {
    cursor: typeof saved.cursor === "string" ? saved.cursor : void 0,
    outbox: Array.isArray(saved.outbox) ? [...saved.outbox] : [],
    seen: Array.isArray(saved.seen) ? [...saved.seen] : []
  };
}
var MemoryStore = class {
  constructor() {
    __publicField(this, "saved", copy({}));
  }
  load() {
    return copy(this.saved);
  }
  save(changes) {
    this.saved = copy({ ...this.saved, ...changes });
  }
};
var LocalStorageStore = class {
  constructor(key, storage = globalThis.localStorage) {
    this.key = key;
    this.storage = storage;
    if (!this.storage) throw new Error("LocalStorageStore: no localStorage here");
  }
  load() {
    try {
      return copy(JSON.parse(this.storage.getItem(this.key) ?? "{}"));
    } catch {
      return copy({});
    }
  }
  save(changes) {
    this.storage.setItem(this.key, JSON.stringify({ ...this.load(), ...changes }));
  }
};
var IndexedDbStore = class {
  constructor(key, name = "imcluster", factory = globalThis.indexedDB) {
    this.key = key;
    this.name = name;
    this.factory = factory;
    __publicField(this, "db", null);
    if (!this.factory) throw new Error("IndexedDbStore: no indexedDB here");
  }
  open() {
    this.db ?? (this.db = new Promise((resolve, reject) => {
      const request = this.factory.open(this.name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore("clients");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }));
    return this.db;
  }
  async run(mode, work) {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const request = work(db.transaction("clients", mode).objectStore("clients"));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async load() {
    return copy(await this.run("readonly", (s) => s.get(this.key)) ?? {});
  }
  /** Read and written in one transaction, so saves made at once never lose each other's parts. */
  async save(changes) {
    const db = await this.open();
    await new Promise((resolve, reject) => {
      const tx = db.transaction("clients", "readwrite");
      const store = tx.objectStore("clients");
      const read = store.get(this.key);
      read.onsuccess = () => store.put(copy({ ...read.result ?? {}, ...changes }), this.key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
};

// src/client.ts
var KEPT_SEEN = 1e3;
var FINAL = /* @__PURE__ */ new Set([4003, 4004]);
var ImClient = class extends Emitter {
  constructor(options) {
    super();
    this.options = options;
    __publicField(this, "ws", null);
    __publicField(this, "store");
    __publicField(this, "WS");
    __publicField(this, "cursor");
    __publicField(this, "outbox", []);
    __publicField(this, "loaded", null);
    __publicField(this, "sends", /* @__PURE__ */ new Map());
    __publicField(this, "waiting", /* @__PURE__ */ new Map());
    __publicField(this, "seen", /* @__PURE__ */ new Map());
    __publicField(this, "nextId", 0);
    __publicField(this, "attempt", 0);
    __publicField(this, "stopped", false);
    __publicField(this, "syncing", null);
    __publicField(this, "syncAgain", false);
    __publicField(this, "reconnectTimer", null);
    __publicField(this, "seenSave", null);
    __publicField(this, "tokenReason", "connect");
    /** Where the connection is now. */
    __publicField(this, "state", "closed");
    this.store = options.store ?? new MemoryStore();
    const WS = options.WebSocket ?? globalThis.WebSocket;
    if (!WS) throw new Error("no WebSocket here: pass `WebSocket` (the `ws` package under Node)");
    this.WS = WS;
  }
  /** Connects (and keeps reconnecting until `close()`); resolves at the first welcome. */
  async connect() {
    this.stopped = false;
    await this.load();
    const welcome = this.once("welcome");
    void this.open();
    return welcome;
  }
  /** Closes the connection for good; the outbox stays in the store. */
  close() {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1e3, "client closed");
    this.dropWaiting();
    this.setState("closed");
    this.emit("closed", { code: 1e3, reason: "client closed" });
  }
  /**
   * Sends a message: it is queued in the outbox at once (and kept in the store), sent when
   * connected, and retried across reconnects until stored or refused. Resolves with the ack.
   */
  async send(message, clientMsgId = newId()) {
    await this.load();
    const pending = { clientMsgId, message, queuedAt: Date.now() };
    const acked = new Promise((resolve, reject) => this.sends.set(clientMsgId, { resolve, reject }));
    this.outbox.push(pending);
    await this.store.save({ outbox: this.outbox });
    if (this.state === "syncing" || this.state === "ready") this.transmit(pending);
    return acked;
  }
  /** The sends not yet acknowledged. */
  pending() {
    return this.outbox;
  }
  /** Any other request frame (`recall`, `read`, `edit`, `react`, `typing`…): its reply. */
  request(frame) {
    const id = `r${++this.nextId}`;
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) {
      return Promise.reject(new ImError("IM:Disconnected", "not connected"));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ImError("IM:Timeout", `no reply to ${String(frame.type)}`));
      }, this.options.requestTimeoutMs ?? 3e4);
      this.waiting.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }
  /** Sends a frame that has no reply (`typing`, `state`) if connected; whether it went. */
  notify(frame) {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }
  /** Reads every sync page from the cursor now (a reconnect does this by itself). */
  sync() {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = this.syncPages().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }
  async load() {
    this.loaded ?? (this.loaded = (async () => {
      const saved = await this.store.load();
      this.cursor = saved.cursor;
      this.outbox = saved.outbox;
      for (const id of saved.seen) this.seen.set(id, true);
    })());
    return this.loaded;
  }
  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }
  async open() {
    this.setState(this.attempt === 0 && this.tokenReason === "connect" ? "connecting" : "reconnecting");
    let token;
    try {
      token = await this.options.token(this.tokenReason);
    } catch {
      this.scheduleReconnect(0);
      return;
    }
    if (this.stopped) return;
    const base = this.options.url.replace(/^http/, "ws").replace(/\/$/, "");
    const ws = new this.WS(`${base}/ws?access_token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      let frame;
      try {
        frame = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      this.onFrame(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onClose(ev.code, ev.reason);
    };
    ws.onerror = () => {
    };
  }
  onClose(code, reason) {
    this.dropWaiting();
    if (this.stopped) return;
    if (FINAL.has(code)) {
      this.stopped = true;
      this.setState("closed");
      this.emit("closed", { code, reason });
      return;
    }
    this.scheduleReconnect(code);
  }
  scheduleReconnect(code) {
    if (this.stopped) return;
    if (code === 4001) this.tokenReason = "expired";
    else if (this.tokenReason === "connect") this.tokenReason = "reconnect";
    const attempt = code === 1012 || code === 4001 ? 0 : this.attempt;
    const delayMs = backoffDelay(attempt, this.options.backoff);
    this.attempt += 1;
    this.setState("reconnecting");
    this.emit("reconnecting", { attempt: this.attempt, delayMs, code });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.open();
    }, delayMs);
  }
  dropWaiting() {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new ImError("IM:Disconnected", "the connection closed"));
      this.waiting.delete(id);
    }
  }
  onFrame(frame) {
    switch (frame.type) {
      case "welcome":
        this.attempt = 0;
        this.tokenReason = "reconnect";
        this.setState("syncing");
        this.emit("welcome", frame);
        for (const pending of this.outbox) this.transmit(pending);
        void this.sync().catch(() => {
        });
        return;
      case "ack":
      case "error":
      case "sync":
      case "pong":
        this.onReply(frame);
        return;
      case "message":
        this.deliver(frame.message);
        return;
      case "notice":
        if (frame.kind === "sync") void this.sync().catch(() => void 0);
        if (frame.kind === "tokenExpiring") void this.refreshToken();
        this.emit("notice", frame);
        return;
      default:
        this.emit(frame.type, frame);
    }
  }
  onReply(frame) {
    const id = frame.id ?? "";
    if (id.startsWith("s:")) {
      this.onSendReply(id.slice(2), frame);
      return;
    }
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (frame.type === "error") w.reject(new ImError(frame.code, frame.message));
    else w.resolve(frame);
  }
  onSendReply(clientMsgId, frame) {
    const index = this.outbox.findIndex((p) => p.clientMsgId === clientMsgId);
    if (index < 0) return;
    if (frame.type === "error" && RETRIED_CODES.has(frame.code)) {
      const pending = this.outbox[index];
      setTimeout(() => this.transmit(pending), backoffDelay(1, this.options.backoff));
      return;
    }
    this.outbox.splice(index, 1);
    void this.store.save({ outbox: this.outbox });
    const waiter = this.sends.get(clientMsgId);
    this.sends.delete(clientMsgId);
    if (frame.type === "ack") {
      if (frame.messageId) this.remember(frame.messageId);
      waiter?.resolve(frame);
      this.emit("sent", { clientMsgId, ack: frame });
    } else if (frame.type === "error") {
      const error = new ImError(frame.code, frame.message);
      waiter?.reject(error);
      this.emit("failed", { clientMsgId, error });
    }
  }
  transmit(pending) {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1 || !this.outbox.includes(pending)) return;
    const frame = { ...pending.message, type: "send", id: `s:${pending.clientMsgId}`, clientMsgId: pending.clientMsgId };
    ws.send(JSON.stringify(frame));
  }
  /** Remembers `id`; false when it was already seen. */
  remember(id) {
    if (this.seen.has(id)) return false;
    this.seen.set(id, true);
    const limit = this.options.remember ?? 1e4;
    while (this.seen.size > limit) {
      const oldest = this.seen.keys().next().value;
      this.seen.delete(oldest);
    }
    return true;
  }
  deliver(message) {
    if (!this.remember(message.messageId)) return false;
    this.emit("message", message);
    this.keepSeen();
    return true;
  }
  /** The latest ids seen, which a store keeps: a message delivered live is past the cursor. */
  recent() {
    return [...this.seen.keys()].slice(-KEPT_SEEN);
  }
  /** Saves the latest ids seen, once per turn of the event loop however many arrived. */
  keepSeen() {
    if (this.seenSave) return;
    this.seenSave = setTimeout(() => {
      this.seenSave = null;
      void this.store.save({ seen: this.recent() });
    }, 0);
  }
  async syncPages() {
    let delivered = 0;
    do {
      this.syncAgain = false;
      for (; ; ) {
        let page;
        try {
          page = await this.request({
            type: "sync",
            limit: this.options.syncPageSize ?? 200,
            ...this.cursor ? { after: this.cursor } : {}
          });
        } catch (e) {
          if (e instanceof ImError && e.code === "IM:Unavailable") {
            await sleep(backoffDelay(1, this.options.backoff));
            continue;
          }
          throw e;
        }
        for (const m of page.messages) if (this.deliver(m)) delivered += 1;
        for (const m of page.changes) this.emit("changed", m);
        for (const messageId of page.hidden) this.emit("hidden", { type: "hidden", messageId });
        this.cursor = page.next;
        await this.store.save({ cursor: page.next, seen: this.recent() });
        if (!page.more) break;
      }
    } while (this.syncAgain);
    this.setState("ready");
    this.emit("caughtUp", { messages: delivered });
  }
  async refreshToken() {
    try {
      const token = await this.options.token("expired");
      await this.request({ type: "refresh", accessToken: token });
    } catch {
    }
  }
};
function newId() {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// src/rest.ts
var RestClient = class {
  constructor(baseUrl, token, fetchFn = globalThis.fetch) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.fetchFn = fetchFn;
  }
  /** `method path`: the JSON answer (`null` when there is none). */
  async call(method, path, init = {}) {
    let url = `${this.baseUrl.replace(/\/$/, "")}${String(path)}`;
    const pathParams = init.path ?? {};
    url = url.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(pathParams[name])));
    const query = Object.entries(init.query ?? {}).filter(([, v]) => v !== void 0);
    if (query.length) url += `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}`;
    const headers = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${await this.token()}`;
    let body;
    if (init.body !== void 0) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.body);
    }
    const res = await this.fetchFn(url, { method: method.toUpperCase(), headers, body });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    if (!res.ok) {
      throw new ImError(json?.error?.code ?? `HTTP:${res.status}`, json?.error?.message ?? res.statusText);
    }
    return json;
  }
};
export {
  ImClient,
  ImError,
  IndexedDbStore,
  LocalStorageStore,
  MemoryStore,
  RestClient,
  backoffDelay
};
