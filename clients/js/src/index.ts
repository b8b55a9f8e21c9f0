/**
 * imcluster's client: `ImClient` for the WebSocket (reconnect, sync, de-duplication, an
 * outbox that sends each message exactly once), `RestClient` for the HTTP API, typed from the
 * server's OpenAPI document.
 */
export { ImClient } from "./client.js";
export type { ClientEvents, ClientOptions, ConnectionState, TokenReason, WebSocketLike } from "./client.js";
export { backoffDelay } from "./backoff.js";
export type { BackoffOptions } from "./backoff.js";
export { ImError } from "./errors.js";
export { IndexedDbStore, LocalStorageStore, MemoryStore } from "./store.js";
export type { ClientStore, KeyValueStorage, PendingSend, Saved } from "./store.js";
export { RestClient } from "./rest.js";
export type { CallInit, MethodsOf, paths } from "./rest.js";
export type * from "./protocol.js";
