// The try-it page: register or sign in, see friends (with presence), requests and groups, and
// chat in real time over the WebSocket protocol, with read receipts and typing.
"use strict";
const $ = (id) => document.getElementById(id);
let token = null, me = null, ws = null, peer = null, reqId = 0;
const friends = new Map();
const sending = new Map(); // request id → the message, until its ack gives it an id

// Every value from the server is text: escaped for element content and quoted attributes
// alike (quotes too, so a name cannot close an attribute and open another).
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };
function esc(text) {
  return (text == null ? "" : String(text)).replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}
function banner(id, message) {
  $(id).textContent = message || "";
  $(id).classList.toggle("show", !!message);
}

async function api(method, path, body) {
  const headers = { "Authorization": "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = (json && json.error) || {};
    const message = `${err.code || res.status}: ${err.message || "request failed"}`;
    banner("error", message);
    throw new Error(message);
  }
  banner("error", "");
  return json;
}

async function auth(kind) {
  const userName = $("name").value.trim();
  const password = $("password").value;
  if (!userName || password.length < 8) {
    $("auth-error").textContent = "A user name, and a password of 8 characters or more.";
    return;
  }
  const body = JSON.stringify({ userName, password });
  const post = (path) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  if (kind === "register") {
    const r = await post("/api/auth/register");
    if (!r.ok) {
      const j = await r.json().catch(() => ({}));
      $("auth-error").textContent = (j.error && j.error.message) || `Registration failed (${r.status}).`;
      return;
    }
  }
  const r = await post("/api/auth/login");
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    $("auth-error").textContent = (j.error && j.error.message) || `Sign-in failed (${r.status}).`;
    return;
  }
  token = j.accessToken;
  me = { userId: j.userId, userName };
  $("me").textContent = userName;
  $("auth").classList.add("hidden");
  $("app").classList.remove("hidden");
  connect();
  loadSide();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${location.host}/ws?access_token=${encodeURIComponent(token)}`);
  ws.onmessage = (e) => onFrame(JSON.parse(e.data));
  ws.onclose = (e) => {
    banner("info", `Disconnected (${e.code}${e.reason ? ": " + e.reason : ""}).` + (e.code === 4003 ? "" : " Reconnecting…"));
    if (e.code !== 4003 && e.code !== 4001) setTimeout(connect, 1500);
  };
}

function send(frame) {
  frame.id = "r" + (++reqId);
  ws.send(JSON.stringify(frame));
}

async function loadSide() {
  const all = await api("GET", "/api/im/my-friends/all");
  friends.clear();
  for (const f of all.items) friends.set(f.friendId || f.userId, f);
  renderFriends();
  const reqs = await api("GET", "/api/im/my-friends/requests");
  $("requests").innerHTML = reqs.items.map((r) => `<li>${esc(r.userName || r.nickName || r.userId)}
      <span style="flex:1"></span><button class="plain" data-accept="${esc(r.userId)}">Accept</button></li>`).join("")
    || '<li class="muted">None.</li>';
  const groups = await api("GET", "/api/im/user-groups/me");
  $("groups").innerHTML = groups.items.map((g) => `<li data-group="${esc(g.id)}" data-name="${esc(g.name)}"># ${esc(g.name)}</li>`).join("")
    || '<li class="muted">None yet.</li>';
}

function renderFriends() {
  $("friends").innerHTML = [...friends.entries()].map(([id, f]) => `<li data-user="${esc(id)}" data-name="${esc(f.nickName || f.userName)}"
      class="${peer && peer.user === id ? "active" : ""}"><span class="dot ${f.online ? "on" : ""}"></span>${esc(f.remarkName || f.nickName || f.userName)}</li>`).join("")
    || '<li class="muted">No friends yet: add one below.</li>';
}

function bubble(m) {
  const mine = m.fromUserId === me.userId;
  const div = document.createElement("div");
  div.className = "bubble" + (mine ? " mine" : "");
  div.dataset.id = m.messageId;
  div.innerHTML = `${m.state === 10 ? '<span class="muted">recalled</span>' : esc(m.content)}
    <div class="meta">${esc(new Date(m.sendTime).toLocaleTimeString())} <span class="receipt"></span></div>`;
  $("messages").appendChild(div);
  $("messages").scrollTop = $("messages").scrollHeight;
}

async function open(target) {
  peer = target;
  $("peer-title").textContent = target.name;
  $("send-text").disabled = $("send").disabled = false;
  $("messages").innerHTML = "";
  renderFriends();
  const path = target.user
    ? `/api/im/chat/my-messages?receiveUserId=${target.user}&maxResultCount=50`
    : `/api/im/chat/group/messages?groupId=${target.group}&maxResultCount=50`;
  const page = await api("GET", path);
  const items = page.items.slice().reverse();
  items.forEach(bubble);
  markRead(items);
}

function markRead(items) {
  const theirs = items.filter((m) => m.fromUserId !== me.userId);
  if (theirs.length) send({ type: "read", messageId: theirs[theirs.length - 1].messageId });
}

function belongsHere(m) {
  if (!peer) return false;
  if (peer.group) return m.groupId === String(peer.group);
  return !m.groupId && (m.fromUserId === peer.user || m.toUserId === peer.user);
}

function onFrame(f) {
  switch (f.type) {
    case "welcome": banner("info", ""); break;
    case "ack": {
      const m = sending.get(f.id);
      sending.delete(f.id);
      if (m && f.messageId) bubble({ ...m, messageId: f.messageId, sendTime: f.sendTime, fromUserId: me.userId });
      break;
    }
    case "message":
      if (belongsHere(f.message)) { bubble(f.message); markRead([f.message]); }
      else banner("info", `New message from ${f.message.fromUserName || "someone"}.`);
      break;
    case "read": {
      document.querySelectorAll(".bubble.mine .receipt").forEach((r) => { r.textContent = "✓ read"; });
      break;
    }
    case "presence": {
      const f2 = friends.get(f.userId);
      if (f2) { f2.online = f.online; renderFriends(); }
      break;
    }
    case "typing":
      if (peer && f.userId === peer.user) {
        $("typing").textContent = "typing…";
        setTimeout(() => { $("typing").textContent = ""; }, 2000);
      }
      break;
    case "recalled": {
      const b = document.querySelector(`.bubble[data-id="${CSS.escape(String(f.messageId))}"]`);
      if (b) b.firstChild.textContent = "recalled";
      break;
    }
    case "notice":
      if (f.kind === "friend.accepted") banner("info", "");
      if (f.kind.startsWith("friend.") || f.kind.startsWith("group.")) loadSide().catch(() => {});
      if (f.kind === "system") banner("info", "System: " + (f.data && f.data.content));
      break;
    case "error": sending.delete(f.id); banner("error", `${f.code}: ${f.message}`); break;
  }
}

$("auth-form").addEventListener("submit", (e) => { e.preventDefault(); auth("login"); });
$("register").addEventListener("click", () => auth("register"));
$("friends").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-user]");
  if (li) open({ user: li.dataset.user, name: li.dataset.name }).catch(() => {});
});
$("groups").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-group]");
  if (li) open({ group: li.dataset.group, name: "# " + li.dataset.name }).catch(() => {});
});
$("requests").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-accept]");
  if (!b) return;
  await api("PUT", `/api/im/my-friends/requests/${b.dataset.accept}/accept`).catch(() => {});
  loadSide().catch(() => {});
});
$("add-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = $("add-name").value.trim();
  if (!name) return banner("error", "Write a user name to add.");
  const found = await api("GET", `/api/im/users/search?filter=${encodeURIComponent(name)}`);
  const user = found.items.find((u) => u.userName.toLowerCase() === name.toLowerCase());
  if (!user) return banner("error", `No user is called ${name}.`);
  const r = await api("POST", "/api/im/my-friends/add-request", { friendId: user.userId });
  banner("info", r.status === 1 ? `${name} is now a friend.` : `Asked ${name}; waiting for them to accept.`);
  $("add-name").value = "";
  loadSide().catch(() => {});
});
$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const content = $("send-text").value.trim();
  if (!content || !peer) return;
  const frame = { type: "send", content };
  if (peer.user) frame.toUserId = peer.user; else frame.groupId = String(peer.group);
  send(frame);
  sending.set(frame.id, { content, toUserId: frame.toUserId, groupId: frame.groupId });
  $("send-text").value = "";
});
$("send-text").addEventListener("input", () => {
  if (peer && peer.user && ws && ws.readyState === 1) ws.send(JSON.stringify({ type: "typing", toUserId: peer.user }));
});
