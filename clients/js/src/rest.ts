/**
 * The HTTP API, typed from the server's OpenAPI document (`src/generated/openapi.ts`, made by
 * `npm run generate`): the path, its method, path and query parameters and JSON body are
 * checked by the compiler. Answers are JSON; a refusal throws an `ImError` with its code.
 */

import { ImError } from "./errors.js";
import type { paths } from "./generated/openapi.js";

export type { paths } from "./generated/openapi.js";

type Method = "get" | "post" | "put" | "delete";

/** The methods `P` has. */
export type MethodsOf<P extends keyof paths> = {
  [M in Method]: paths[P][M] extends undefined ? never : M;
}[Method];

type Operation<P extends keyof paths, M extends Method> = Exclude<paths[P][M], undefined>;

type JsonBody<O> = O extends { requestBody: { content: { "application/json": infer B } } }
  ? B
  : O extends { requestBody?: { content: { "application/json": infer B } } }
    ? B | undefined
    : undefined;

type Param<O, K extends "path" | "query"> = O extends { parameters: { [k in K]?: infer X } }
  ? Exclude<X, undefined>
  : never;

/** What a call sends besides its path and method. */
export interface CallInit<O> {
  path?: Param<O, "path">;
  query?: Param<O, "query">;
  body?: JsonBody<O>;
  headers?: Record<string, string>;
}

export class RestClient {
  constructor(
    private readonly baseUrl: string,
    /** Gives the bearer token; none for routes that need none. */
    private readonly token?: () => string | Promise<string>,
    private readonly fetchFn: typeof fetch = globalThis.fetch,
  ) {}

  /** `method path`: the JSON answer (`null` when there is none). */
  async call<P extends keyof paths, M extends MethodsOf<P>>(
    method: M,
    path: P,
    init: CallInit<Operation<P, M>> = {},
  ): Promise<any> {
    let url = `${this.baseUrl.replace(/\/$/, "")}${String(path)}`;
    const pathParams = (init.path ?? {}) as Record<string, unknown>;
    url = url.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(pathParams[name])));
    const query = Object.entries((init.query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (query.length) url += `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}`;
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${await this.token()}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.body);
    }
    const res = await this.fetchFn(url, { method: method.toUpperCase(), headers, body });
    const text = await res.text();
    let json: any = null;
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
}
