/**
 * The connection to imcluster, with what every chat client needs and gets wrong alone:
 * reconnecting with capped, jittered backoff (not after a kick or a login elsewhere, with a new
 * token after 4001); catching up with `sync` from a kept cursor through every page before
 * saying it is caught up; one event per message id, live or synced; and an outbox whose sends
 * are retried across reconnects with their `clientMsgId`, so each is stored exactly once.
 */

import { backoffDelay, type BackoffOptions } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { ImError, RETRIED_CODES } from "./errors.js";
import type {
  AckFrame,
  ChatMessage,
  EditedFrame,
  EventFrame,
  HiddenFrame,
  Id,
  NoticeFrame,
  NotificationFrame,
  Outgoing,
  PresenceFrame,
  ReactionFrame,
  ReadFrame,
  RecalledFrame,
  ServerFrame,
  SyncFrame,
  TypingFrame,
  WelcomeFrame,
} from "./protocol.js";
import { MemoryStore, type ClientStore, type PendingSend } from "./store.js";

/** Why a token is asked for: the first connect, a reconnect, or because the last one expired. */
export type TokenReason = "connect" | "reconnect" | "expired";

/** The WebSocket constructor: the platform's, or `ws`'s under Node. */
export type WebSocketLike = new (url: string) => {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};

export interface ClientOptions {
  /** The server: `https://chat.example.com` (its `/ws` is used). */
  url: string;
  /** Gives a valid access token. */
  token: (reason: TokenReason) => string | Promise<string>;
  /** Where the cursor and the outbox are kept (default: memory). */
  store?: ClientStore;
  /** Default: `globalThis.WebSocket` (browsers, Node 22+); under older Node pass `ws`. */
  WebSocket?: WebSocketLike;
  backoff?: BackoffOptions;
  /** Messages per sync page (1–1000, default 200). */
  syncPageSize?: number;
  /** How many message ids are remembered to drop duplicates (default 10 000). */
  remember?: number;
  /** How long a request waits for its reply, ms (default 30 000). */
  requestTimeoutMs?: number;
}

/** Where the connection is. */
export type ConnectionState = "connecting" | "syncing" | "ready" | "reconnecting" | "closed";

/** The events a client emits. */
export interface ClientEvents extends Record<string, unknown> {
  state: ConnectionState;
  welcome: WelcomeFrame;
  /** Every sync page was read after a (re)connect or a `sync` notice. */
  caughtUp: { messages: number };
  /** A message this client has not seen, live or from sync: once per id. */
  message: ChatMessage;
  /** A message changed since the cursor (edited, recalled, reacted to), as it is now. */
  changed: ChatMessage;
  /** A send of the outbox was stored (also for sends queued before a reload). */
  sent: { clientMsgId: string; ack: AckFrame };
  /** A send of the outbox was refused for good; it is no longer in the outbox. */
  failed: { clientMsgId: string; error: ImError };
  recalled: RecalledFrame;
  edited: EditedFrame;
  reaction: ReactionFrame;
  hidden: HiddenFrame | { type: "hidden"; messageId: Id };
  read: ReadFrame;
  typing: TypingFrame;
  presence: PresenceFrame;
  notice: NoticeFrame;
  notification: NotificationFrame;
  event: EventFrame;
  reconnecting: { attempt: number; delayMs: number; code: number };
  /** The connection ended for good: closed by the app, kicked (4003), or replaced (4004). */
  closed: { code: number; reason: string };
}

/** How many of the latest message ids a store keeps, to drop what comes again after a reload. */
const KEPT_SEEN = 1000;

/** Close codes after which the client does not reconnect. */
const FINAL = new Set([4003, 4004]);

interface Waiting {
  resolve: (frame: ServerFrame) => void;
  reject: (error: ImError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class ImClient extends Emitter<ClientEvents> {
  private ws: InstanceType<WebSocketLike> | null = null;
  private readonly store: ClientStore;
  private readonly WS: WebSocketLike;
  private cursor: string | undefined;
  private outbox: PendingSend[] = [];
  private loaded: Promise<void> | null = null;
  private readonly sends = new Map<string, { resolve: (a: AckFrame) => void; reject: (e: ImError) => void }>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly seen = new Map<string, true>();
  private nextId = 0;
  private attempt = 0;
  private stopped = false;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private seenSave: ReturnType<typeof setTimeout> | null = null;
  private tokenReason: TokenReason = "connect";
  /** Where the connection is now. */
  state: ConnectionState = "closed";

  constructor(private readonly options: ClientOptions) {
    super();
    this.store = options.store ?? new MemoryStore();
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketLike }).WebSocket;
    if (!WS) throw new Error("no WebSocket here: pass `WebSocket` (the `ws` package under Node)");
    this.WS = WS;
  }

  /** Connects (and keeps reconnecting until `close()`); resolves at the first welcome. */
  async connect(): Promise<WelcomeFrame> {
    this.stopped = false;
    await this.load();
    const welcome = this.once("welcome");
    void this.open();
    return welcome;
  }

  /** Closes the connection for good; the outbox stays in the store. */
  close(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, "client closed");
    this.dropWaiting();
    this.setState("closed");
    this.emit("closed", { code: 1000, reason: "client closed" });
  }

  /**
   * Sends a message: it is queued in the outbox at once (and kept in the store), sent when
   * connected, and retried across reconnects until stored or refused. Resolves with the ack.
   */
  async send(message: Outgoing, clientMsgId: string = newId()): Promise<AckFrame> {
    await this.load();
    const pending: PendingSend = { clientMsgId, message, queuedAt: Date.now() };
    const acked = new Promise<AckFrame>((resolve, reject) => this.sends.set(clientMsgId, { resolve, reject }));
    this.outbox.push(pending);
    await this.store.save({ outbox: this.outbox });
    if (this.state === "syncing" || this.state === "ready") this.transmit(pending);
    return acked;
  }

  /** The sends not yet acknowledged. */
  pending(): readonly PendingSend[] {
    return this.outbox;
  }

  /** Any other request frame (`recall`, `read`, `edit`, `react`, `typing`…): its reply. */
  request<T extends ServerFrame = AckFrame>(frame: Record<string, unknown>): Promise<T> {
    const id = `r${++this.nextId}`;
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) {
      return Promise.reject(new ImError("IM:Disconnected", "not connected"));
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ImError("IM:Timeout", `no reply to ${String(frame.type)}`));
      }, this.options.requestTimeoutMs ?? 30_000);
      this.waiting.set(id, { resolve: resolve as (f: ServerFrame) => void, reject, timer });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Sends a frame that has no reply (`typing`, `state`) if connected; whether it went. */
  notify(frame: Record<string, unknown>): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** Reads every sync page from the cursor now (a reconnect does this by itself). */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = this.syncPages().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async load(): Promise<void> {
    this.loaded ??= (async () => {
      const saved = await this.store.load();
      this.cursor = saved.cursor;
      this.outbox = saved.outbox;
      for (const id of saved.seen) this.seen.set(id, true);
    })();
    return this.loaded;
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  private async open(): Promise<void> {
    this.setState(this.attempt === 0 && this.tokenReason === "connect" ? "connecting" : "reconnecting");
    let token: string;
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
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
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
      // A close follows.
    };
  }

  private onClose(code: number, reason: string): void {
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

  private scheduleReconnect(code: number): void {
    if (this.stopped) return;
    if (code === 4001) this.tokenReason = "expired";
    else if (this.tokenReason === "connect") this.tokenReason = "reconnect";
    // A pod draining (1012) or a token to renew: come back soon, still jittered.
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

  private dropWaiting(): void {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new ImError("IM:Disconnected", "the connection closed"));
      this.waiting.delete(id);
    }
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "welcome":
        this.attempt = 0;
        this.tokenReason = "reconnect";
        this.setState("syncing");
        this.emit("welcome", frame);
        for (const pending of this.outbox) this.transmit(pending);
        void this.sync().catch(() => {
          // A broken connection ends the walk; the reconnect walks again.
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
        if (frame.kind === "sync") void this.sync().catch(() => undefined);
        if (frame.kind === "tokenExpiring") void this.refreshToken();
        this.emit("notice", frame);
        return;
      default:
        this.emit(frame.type, frame as never);
    }
  }

  private onReply(frame: ServerFrame & { id?: string | null }): void {
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

  private onSendReply(clientMsgId: string, frame: ServerFrame): void {
    const index = this.outbox.findIndex((p) => p.clientMsgId === clientMsgId);
    if (index < 0) return; // answered before (a retry crossed the first ack)
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
      // The session that sent a message gets its ack, not the message; sync will not repeat it.
      if (frame.messageId) this.remember(frame.messageId);
      waiter?.resolve(frame);
      this.emit("sent", { clientMsgId, ack: frame });
    } else if (frame.type === "error") {
      const error = new ImError(frame.code, frame.message);
      waiter?.reject(error);
      this.emit("failed", { clientMsgId, error });
    }
  }

  private transmit(pending: PendingSend): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1 || !this.outbox.includes(pending)) return;
    const frame = { ...pending.message, type: "send", id: `s:${pending.clientMsgId}`, clientMsgId: pending.clientMsgId };
    ws.send(JSON.stringify(frame));
  }

  /** Remembers `id`; false when it was already seen. */
  private remember(id: Id): boolean {
    if (this.seen.has(id)) return false;
    this.seen.set(id, true);
    const limit = this.options.remember ?? 10_000;
    while (this.seen.size > limit) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
    return true;
  }

  private deliver(message: ChatMessage): boolean {
    if (!this.remember(message.messageId)) return false;
    this.emit("message", message);
    this.keepSeen();
    return true;
  }

  /** The latest ids seen, which a store keeps: a message delivered live is past the cursor. */
  private recent(): string[] {
    return [...this.seen.keys()].slice(-KEPT_SEEN);
  }

  /** Saves the latest ids seen, once per turn of the event loop however many arrived. */
  private keepSeen(): void {
    if (this.seenSave) return;
    this.seenSave = setTimeout(() => {
      this.seenSave = null;
      void this.store.save({ seen: this.recent() });
    }, 0);
  }

  private async syncPages(): Promise<void> {
    let delivered = 0;
    do {
      this.syncAgain = false;
      for (;;) {
        let page: SyncFrame;
        try {
          page = await this.request<SyncFrame>({
            type: "sync",
            limit: this.options.syncPageSize ?? 200,
            ...(this.cursor ? { after: this.cursor } : {}),
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

  private async refreshToken(): Promise<void> {
    try {
      const token = await this.options.token("expired");
      await this.request({ type: "refresh", accessToken: token });
    } catch {
      // Without a refresh the server closes with 4001, and the reconnect asks again.
    }
  }
}

function newId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
