/** A refusal from the server (`code` as in docs/PROTOCOL.md), or a request the client gave up. */
export class ImError extends Error {
  constructor(
    /** `IM:NotFound`, `03403`, …; `IM:Disconnected` and `IM:Timeout` come from the client. */
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "ImError";
  }
}

/** Codes after which a send is tried again: nothing was stored. */
export const RETRIED_CODES = new Set(["IM:Unavailable", "IM:RateLimited"]);
