// A real imcluster pod for the library's tests: the server binary (IMCLUSTER_BIN, which the
// Rust test that runs these sets) on SQLite in a folder of its own, on a port that stays the
// same across a kill and a restart, so a client reconnects to the same address.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ADMIN_KEY = "js-client-admin-key-0123456789";

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function binary() {
  const bin = process.env.IMCLUSTER_BIN;
  if (!bin) throw new Error("IMCLUSTER_BIN must name the imcluster binary (cargo test sets it)");
  return bin;
}

/** A pod of its own; `restart()` brings it back on the same database and port. */
export class Pod {
  static async start() {
    const pod = new Pod(mkdtempSync(join(tmpdir(), "imcluster-js-")), await freePort());
    await pod.run();
    return pod;
  }

  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
  }

  run() {
    const child = spawn(binary(), [], {
      cwd: this.dir,
      env: {
        PATH: process.env.PATH,
        IMCLUSTER_NODE__LISTEN: `127.0.0.1:${this.port}`,
        IMCLUSTER_DATABASE__URL: `sqlite://${join(this.dir, "im.db")}?mode=rwc`,
        IMCLUSTER_MEDIA__STORE: `file://${join(this.dir, "media")}`,
        IMCLUSTER_JWT__SECRET: "js-client-test-secret-js-client-test-secret",
        IMCLUSTER_ADMIN__API_KEY: ADMIN_KEY,
        IMCLUSTER_LOG__FORMAT: "json",
        IMCLUSTER_LOG__LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.on("exit", resolve));
    return new Promise((resolve, reject) => {
      let buffer = "";
      const timer = setTimeout(() => reject(new Error("the pod did not start in 60 s")), 60_000);
      child.stdout.on("data", (chunk) => {
        buffer += chunk;
        if (buffer.includes("serving on http://")) {
          clearTimeout(timer);
          buffer = "";
          resolve();
        }
        if (buffer.length > 1 << 20) buffer = buffer.slice(-1024);
      });
      child.on("exit", (code) => reject(new Error(`the pod exited (${code})`)));
    });
  }

  /** SIGKILL: no draining, no goodbye. */
  async kill() {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  async restart() {
    await this.run();
  }

  async stop() {
    if (this.child.exitCode === null) {
      this.child.kill("SIGTERM");
      await this.exited;
    }
  }

  /** `method path` with a JSON body and a token: the JSON answer; throws unless 2xx. */
  async call(method, path, token, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Registers and logs in a new user: `{userId, token, login()}`. */
  async user(prefix) {
    const name = `${prefix}${Math.random().toString(36).slice(2, 10)}`;
    const credentials = { userName: name, password: "password-123" };
    const { userId } = await this.call("POST", "/api/auth/register", null, credentials);
    const login = async () => (await this.call("POST", "/api/auth/login", null, credentials)).accessToken;
    return { userId, name, token: await login(), login };
  }

  async befriend(a, b) {
    const sent = await this.call("POST", "/api/im/my-friends/add-request", a.token, { friendId: b.userId });
    if (sent.status !== 1) {
      await this.call("PUT", `/api/im/my-friends/requests/${a.userId}/accept`, b.token);
    }
  }
}

/** Resolves when `predicate()` holds, checking at each event of `client`; fails after `ms`. */
export function until(client, events, predicate, ms = 15_000) {
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve();
    const offs = [];
    const timer = setTimeout(() => {
      offs.forEach((off) => off());
      reject(new Error(`timed out waiting for ${events.join(", ")}`));
    }, ms);
    for (const name of events) {
      offs.push(
        client.on(name, () => {
          if (predicate()) {
            clearTimeout(timer);
            offs.forEach((off) => off());
            resolve();
          }
        }),
      );
    }
  });
}
