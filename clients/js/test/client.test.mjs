// The library against a real pod: chat, groups, catching up after an outage, an outbox that
// survives a pod killed and restarted (each send stored exactly once), duplicates dropped,
// no reconnect after a kick, a new token after a session ends, bounded backoff.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";

import { ImClient, MemoryStore, RestClient, backoffDelay } from "../dist/index.js";
import { ADMIN_KEY, Pod, until } from "./pod.mjs";

/** A client of `user` on `pod`, collecting the messages it is given. */
function client(pod, user, store = new MemoryStore(), options = {}) {
  const c = new ImClient({
    url: pod.base,
    token: () => user.token,
    WebSocket,
    store,
    backoff: { initialMs: 50, maxMs: 500 },
    ...options,
  });
  c.messages = [];
  c.on("message", (m) => c.messages.push(m));
  return c;
}

describe("ImClient against a pod", () => {
  let pod;
  const open = [];
  before(async () => {
    pod = await Pod.start();
  });
  after(async () => {
    open.forEach((c) => c.close());
    await pod?.stop();
  });
  const connected = async (...args) => {
    const c = client(...args);
    open.push(c);
    await c.connect();
    await until(c, ["caughtUp"], () => c.state === "ready");
    return c;
  };

  test("chats, and drops what it has seen", async () => {
    const alice = await pod.user("alice");
    const bob = await pod.user("bob");
    await pod.befriend(alice, bob);
    const a = await connected(pod, alice);
    const b = await connected(pod, bob);
    const ack = await a.send({ toUserId: bob.userId, content: "hello bob" });
    assert.match(ack.messageId, /^\d+$/);
    await until(b, ["message"], () => b.messages.length === 1);
    assert.equal(b.messages[0].messageId, ack.messageId);
    assert.equal(b.messages[0].content, "hello bob");
    // A walk over the same messages (a `sync` notice) gives nothing new.
    await b.sync();
    await a.sync();
    assert.equal(b.messages.length, 1, "the synced copy is dropped");
    assert.equal(a.messages.length, 0, "the sender's own message, acknowledged, is not repeated");
    assert.equal(a.pending().length, 0);
  });

  test("groups: made with the typed REST helper, messages reach every member", async () => {
    const [owner, bob, carol] = [await pod.user("owner"), await pod.user("bob"), await pod.user("carol")];
    const rest = (u) => new RestClient(pod.base, () => u.token);
    const group = await rest(owner).call("post", "/api/im/groups", { body: { name: "js group" } });
    for (const member of [bob, carol]) {
      await rest(member).call("post", "/api/im/user-groups/join", { body: { groupId: group.id } });
      await rest(owner).call("put", "/api/im/user-groups/accept", {
        body: { userId: member.userId, groupId: group.id, allowAccept: true },
      });
    }
    const o = await connected(pod, owner);
    const b = await connected(pod, bob);
    const c = await connected(pod, carol);
    const ack = await o.send({ groupId: group.id, content: "hello all" });
    await until(b, ["message"], () => b.messages.length === 1);
    await until(c, ["message"], () => c.messages.length === 1);
    for (const m of [b.messages[0], c.messages[0]]) {
      assert.equal(m.messageId, ack.messageId);
      assert.equal(m.groupId, group.id);
    }
    // A refusal is an ImError with the server's code.
    const err = await rest(carol)
      .call("get", "/api/im/groups/{id}", { path: { id: "123" } })
      .catch((e) => e);
    assert.equal(err.name, "ImError");
    assert.match(err.code, /^(IM:NotFound|02404)$/);
  });

  test("catches up after being away, from the kept cursor", async () => {
    const alice = await pod.user("alice");
    const bob = await pod.user("bob");
    await pod.befriend(alice, bob);
    const a = await connected(pod, alice);
    const store = new MemoryStore();
    const b1 = await connected(pod, bob, store);
    await a.send({ toUserId: bob.userId, content: "before" });
    await until(b1, ["message"], () => b1.messages.length === 1);
    b1.close();
    for (let i = 0; i < 5; i++) await a.send({ toUserId: bob.userId, content: `while away ${i}` });
    // Back, with the same store: only what came while away, each once, then "caught up".
    const b2 = client(pod, bob, store);
    open.push(b2);
    const caughtUp = b2.once("caughtUp");
    await b2.connect();
    const { messages } = await caughtUp;
    assert.equal(messages, 5);
    assert.deepEqual(
      b2.messages.map((m) => m.content),
      [0, 1, 2, 3, 4].map((i) => `while away ${i}`),
    );
  });

  test("a pod killed with sends in the outbox: every send is stored exactly once", async () => {
    const alice = await pod.user("alice");
    const bob = await pod.user("bob");
    await pod.befriend(alice, bob);
    const a = await connected(pod, alice);
    const reconnects = [];
    a.on("reconnecting", (r) => reconnects.push(r));
    // Twenty sends, not awaited; the pod dies while they are in flight (some stored, their
    // acks lost), and five more are queued while it is down.
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(a.send({ toUserId: bob.userId, content: `in flight ${i}` }));
    await pod.kill();
    await until(a, ["state"], () => a.state === "reconnecting");
    for (let i = 0; i < 5; i++) acks.push(a.send({ toUserId: bob.userId, content: `while down ${i}` }));
    assert.ok(a.pending().length >= 5, "the outbox holds them");
    await pod.restart();
    const answered = await Promise.all(acks);
    assert.equal(new Set(answered.map((x) => x.messageId)).size, 25, "25 distinct messages");
    assert.equal(a.pending().length, 0);
    assert.ok(reconnects.every((r) => r.delayMs <= 500), "every wait within the cap");
    // Bob, reading everything from the start: each content once.
    const b = await connected(pod, bob);
    const contents = b.messages.map((m) => m.content).sort();
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => `in flight ${i}`),
      ...Array.from({ length: 5 }, (_, i) => `while down ${i}`),
    ].sort();
    assert.deepEqual(contents, expected);
  });

  test("a refused send leaves the outbox and says why", async () => {
    const alice = await pod.user("alice");
    const stranger = await pod.user("stranger");
    const a = await connected(pod, alice);
    const failed = a.once("failed");
    const err = await a.send({ toUserId: stranger.userId, content: "hi" }).catch((e) => e);
    assert.equal(err.code, "03403", "not friends");
    assert.equal((await failed).error.code, "03403");
    assert.equal(a.pending().length, 0);
  });

  test("an ended session gets a new token; a kick ends the client", async () => {
    const carol = await pod.user("carol");
    const reasons = [];
    const c = await connected(pod, carol, new MemoryStore(), {
      token: async (reason) => {
        reasons.push(reason);
        return reason === "expired" ? (carol.token = await carol.login()) : carol.token;
      },
    });
    // Logout ends the session: the socket closes with 4001, the client asks for a new token.
    await pod.call("POST", "/api/auth/logout", carol.token);
    await until(c, ["welcome", "state"], () => reasons.includes("expired") && c.state === "ready");
    // A kick (4003): closed for good, no reconnect.
    const closed = c.once("closed");
    const res = await fetch(`${pod.base}/api/admin/users/${carol.userId}/kick`, {
      method: "POST",
      headers: { "x-api-key": ADMIN_KEY },
    });
    assert.equal(res.status, 204);
    assert.equal((await closed).code, 4003);
    assert.equal(c.state, "closed");
  });
});

test("backoff grows, is jittered and never passes its cap", () => {
  const options = { initialMs: 100, maxMs: 10_000 };
  for (let attempt = 0; attempt < 40; attempt++) {
    const ceiling = Math.min(10_000, 100 * 2 ** attempt);
    for (const r of [0, 0.5, 0.999]) {
      const d = backoffDelay(attempt, options, () => r);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${attempt}: ${d}`);
    }
  }
  assert.equal(backoffDelay(0, options, () => 0), 50);
  assert.equal(backoffDelay(50, options, () => 1), 10_000);
});
