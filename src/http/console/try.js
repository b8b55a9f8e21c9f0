// The try-it page: register or sign in, see friends (with presence), requests and groups, and
// chat in real time over the WebSocket protocol: replies, edits, reactions, read receipts
// ("read by N" in groups) and typing. Its access token lives minutes: the page trades its
// refresh token for a new one before it runs out and hands it to the open socket in place.
// It lists its user's sessions and signs the others out. Pictures and files are sent by
// picking or dropping them: uploaded first (`/api/im/media`), then sent as a media message;
// pictures show as thumbnails, fetched with the token (an <img> cannot send one).
// The connection is the client library's (`clients/js`, bundled): it reconnects, catches up
// with `sync` from a cursor kept in localStorage, gives each message once, and keeps unsent
// messages in an outbox until the server has stored them, across reconnects and reloads.
// Conversations show their unread counts; history scrolls back; groups are made and joined.
import { ImClient, LocalStorageStore } from "/console/imcluster-client.js";

const $ = (id) => document.getElementById(id);
let token = null, me = null, client = null, peer = null;
let caughtUp = false; // the first catch-up is done: later messages elsewhere are news
let oldest = null, loadingOlder = false, noOlder = false; // scrolling back in the open conversation
let refreshToken = null, renewing = null, renewTimer = null, refreshes = 0;
let replying = null, editing = null; // the message answered or edited by the next submit
const friends = new Map();
const shown = new Map(); // message id → the message as shown
let peerRead = 0n; // how far the peer of a private conversation has read
const readTo = new Map(); // group member → how far they have read

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

async function api(method, path, body, again = true) {
  const headers = { "Authorization": "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status === 401 && again && await renew()) return api(method, path, body, false);
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
  const body = JSON.stringify({ userName, password, deviceId: deviceId(), platform: "web", deviceName: "Try-it page" });
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
  keep(j);
  me = { userId: j.userId, userName };
  $("me").textContent = userName;
  $("auth").classList.add("hidden");
  $("app").classList.remove("hidden");
  connect();
  loadSide();
  loadSessions().catch(() => {});
}

// One id per tab: a new sign-in from this tab replaces its own earlier session.
function deviceId() {
  let id = sessionStorage.getItem("imcluster.deviceId");
  if (!id) {
    id = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem("imcluster.deviceId", id);
  }
  return id;
}

// Takes new tokens and plans the next refresh a little before the access token expires.
function keep(tokens) {
  token = tokens.accessToken;
  refreshToken = tokens.refreshToken;
  clearTimeout(renewTimer);
  const seconds = Math.max(1, tokens.expiresIn - Math.min(30, tokens.expiresIn / 2));
  renewTimer = setTimeout(() => renew().catch(() => {}), seconds * 1000);
}

// Trades the refresh token for new tokens and hands the access token to the open socket.
// Calls that overlap share one exchange.
function renew() {
  if (!renewing) {
    renewing = (async () => {
      const res = await fetch("/api/auth/refresh", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refreshToken }),
      }).catch(() => null);
      if (!res || !res.ok) {
        banner("error", "Your session ended: sign in again.");
        return false;
      }
      keep(await res.json());
      refreshes += 1;
      if (client) client.request({ type: "refresh", accessToken: token }).catch(() => {});
      return true;
    })().finally(() => { renewing = null; });
  }
  return renewing;
}

const PLATFORMS = { ios: "iPhone", android: "Android", ipad: "iPad", "android-pad": "Android tablet",
  windows: "Windows", macos: "Mac", linux: "Linux", web: "Web", "mini-web": "Mini web" };

async function loadSessions() {
  const list = await api("GET", "/api/auth/sessions");
  $("sessions").innerHTML = list.items.map((s) => `<li data-session="${esc(s.id)}">
      <span class="dot ${s.online ? "on" : ""}"></span>${esc(PLATFORMS[s.platform] || s.platform)}
      <span class="muted">${esc(s.deviceName || "")}${s.current ? " · this one" : ""}</span></li>`).join("");
  $("end-others").disabled = list.items.length < 2;
}

function connect() {
  client = new ImClient({
    url: location.origin,
    token: async (reason) => {
      if (reason === "expired") await renew();
      return token;
    },
    store: new LocalStorageStore(`imcluster.try.${me.userId}`),
  });
  client.on("state", (state) => {
    if (state === "reconnecting") banner("info", "Disconnected. Reconnecting…");
    if (state === "ready") banner("info", "");
  });
  client.on("closed", (e) => {
    if (e.code === 4004) banner("info", "Signed in elsewhere.");
    if (e.code === 4003) banner("info", "Disconnected by an administrator.");
  });
  client.on("caughtUp", () => {
    caughtUp = true;
    loadConversations().catch(() => {});
  });
  client.on("message", onMessage);
  client.on("changed", (m) => { if (shown.has(String(m.messageId))) bubble(m); });
  client.on("edited", onEdited);
  client.on("reaction", onReaction);
  client.on("read", onRead);
  client.on("presence", onPresence);
  client.on("typing", onTyping);
  client.on("recalled", onRecalled);
  client.on("notice", onNotice);
  client.connect().catch(() => {});
}

// Sends `out` to the open conversation through the outbox, and shows it as `display` once
// stored (if that conversation is still open).
function sendMessage(out, display) {
  if (peer.user) out.toUserId = peer.user; else out.groupId = String(peer.group);
  const m = { ...display, toUserId: out.toUserId, groupId: out.groupId, fromUserId: me.userId };
  client.send(out)
    .then((ack) => { if (belongsHere(m)) bubble({ ...m, messageId: ack.messageId, sendTime: ack.sendTime }); })
    .catch((err) => banner("error", err.message));
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
  await loadConversations();
  const groups = await api("GET", "/api/im/user-groups/me");
  $("groups").innerHTML = groups.items.map((g) => `<li data-group="${esc(g.id)}" data-name="${esc(g.name)}"># ${esc(g.name)}</li>`).join("")
    || '<li class="muted">None yet.</li>';
}

// The conversations, newest first, each with how many messages I have not read.
async function loadConversations() {
  const list = await api("GET", "/api/im/chat/my-last-messages?maxResultCount=20");
  $("conversations").innerHTML = list.items.map((c) => {
    const target = c.groupId
      ? `data-group="${esc(c.groupId)}" data-name="${esc(c.object)}"`
      : `data-user="${esc(c.fromUserId === me.userId ? c.toUserId : c.fromUserId)}" data-name="${esc(c.object)}"`;
    const unread = c.unreadCount ? `<span class="badge">${esc(c.unreadCount)}</span>` : "";
    return `<li ${target}>${c.groupId ? "# " : ""}${esc(c.object)}<span style="flex:1"></span>${unread}</li>`;
  }).join("") || '<li class="muted">None yet.</li>';
}

function renderFriends() {
  $("friends").innerHTML = [...friends.entries()].map(([id, f]) => `<li data-user="${esc(id)}" data-name="${esc(f.nickName || f.userName)}"
      class="${peer && peer.user === id ? "active" : ""}"><span class="dot ${f.online ? "on" : ""}"></span>${esc(f.remarkName || f.nickName || f.userName)}</li>`).join("")
    || '<li class="muted">No friends yet: add one below.</li>';
}

// Who read a message of mine: the peer, or how many members of the group.
function receiptText(m) {
  if (m.fromUserId !== me.userId || m.state === 10) return "";
  const id = BigInt(m.messageId);
  if (!m.groupId) return peerRead >= id ? "✓ read" : "";
  const n = [...readTo.values()].filter((to) => to >= id).length;
  return n ? `read by ${n}` : "";
}

function bubbleHtml(m) {
  const mine = m.fromUserId === me.userId;
  const p = m.replyPreview;
  const quote = p ? `<div class="quote">${esc(p.fromUserName || "")}: ${p.state === 10 ? "recalled" : esc(p.snippet)}</div>` : "";
  const forwarded = m.forwardedFrom ? '<div class="muted">forwarded</div>' : "";
  const media = m.media && m.state !== 10 ? m.media : null;
  let text = m.state === 10 ? '<span class="muted">recalled</span>' : `<span class="text">${esc(m.content)}</span>`;
  if (media && m.messageType === 10) {
    const t = media.thumb || media;
    text = `<img class="thumb" alt="picture" data-media="${esc(media.mediaId)}" data-thumb="${media.thumb ? 1 : ""}"
      width="${esc(t.width)}" height="${esc(t.height)}">`;
  } else if (media && media.mediaId) {
    text = `<a href="#" class="file" data-download="${esc(media.mediaId)}" data-name="${esc(media.name || "file")}">📄 ${esc(media.name || "file")}</a>
      <span class="muted">${esc(Math.ceil((media.size || 0) / 1024))} KiB</span>`;
  }
  const edited = m.editVersion && m.state !== 10 ? ' <span class="muted edited">(edited)</span>' : "";
  const chips = (m.reactions || []).map((r) =>
    `<span class="chip${r.me ? " me" : ""}">${esc(r.emoji)} ${esc(r.count)}</span>`).join("");
  const actions = m.state === 10 ? "" : `<button class="link" data-act="reply">reply</button>
    <button class="link" data-act="react">👍</button>` +
    (mine && !m.messageType ? '<button class="link" data-act="edit">edit</button>' : "");
  return `${forwarded}${quote}${text}${edited}<div class="reactions">${chips}</div>
    <div class="meta">${esc(new Date(m.sendTime).toLocaleTimeString())} <span class="receipt">${esc(receiptText(m))}</span>
    <span class="actions">${actions}</span></div>`;
}

// Shows `m` (at the top: an older page), or shows it anew where it is already (an edit, a
// reaction, a receipt).
function bubble(m, older = false) {
  const id = String(m.messageId);
  shown.set(id, m);
  let div = document.querySelector(`.bubble[data-id="${CSS.escape(id)}"]`);
  const fresh = !div;
  if (fresh) {
    div = document.createElement("div");
    div.dataset.id = id;
  }
  div.className = "bubble" + (m.fromUserId === me.userId ? " mine" : "");
  div.innerHTML = bubbleHtml(m);
  for (const img of div.querySelectorAll("img[data-media]")) showPicture(img).catch(() => {});
  if (fresh && older) {
    $("messages").prepend(div);
  } else if (fresh) {
    $("messages").appendChild(div);
    $("messages").scrollTop = $("messages").scrollHeight;
  }
}

// Media are fetched with the token and shown from a blob: URL.
const blobs = new Map(); // media path → object URL
async function mediaUrl(path) {
  if (blobs.has(path)) return blobs.get(path);
  let res = await fetch(path, { headers: { "Authorization": "Bearer " + token } });
  if (res.status === 401 && await renew()) res = await fetch(path, { headers: { "Authorization": "Bearer " + token } });
  if (!res.ok) throw new Error(`${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  blobs.set(path, url);
  return url;
}
async function showPicture(img) {
  const id = img.dataset.media;
  img.src = await mediaUrl(`/api/im/media/${id}${img.dataset.thumb ? "/thumb" : ""}`);
}

// Uploads `file` and sends it to the open conversation: a picture as an image message, anything
// else as a file.
async function attach(file) {
  if (!file || !peer) return;
  banner("info", `Sending ${file.name}…`);
  const upload = async () => fetch(`/api/im/media?name=${encodeURIComponent(file.name)}`, {
    method: "POST", headers: { "Authorization": "Bearer " + token }, body: file,
  });
  let res = await upload();
  if (res.status === 401 && await renew()) res = await upload();
  const m = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = m.error || {};
    banner("error", `${err.code || res.status}: ${err.message || "upload failed"}`);
    return;
  }
  banner("info", "");
  const image = m.kind === "image" && m.width;
  const messageType = image ? 10 : 50;
  const media = image
    ? { mediaId: m.mediaId, width: m.width, height: m.height, thumb: m.thumb }
    : { mediaId: m.mediaId, name: m.name, size: m.size };
  sendMessage({ content: "", messageType, media: { mediaId: m.mediaId } },
    { content: image ? "[Image]" : `[File] ${m.name}`, messageType, media });
}

function refreshReceipts() {
  for (const m of shown.values()) if (m.fromUserId === me.userId) bubble(m);
}

// The next submit answers `m` (reply) or replaces its text (edit); null: a plain send.
function compose(kind, m) {
  replying = kind === "reply" ? m : null;
  editing = kind === "edit" ? m : null;
  $("composing").textContent = m ? `${kind === "reply" ? "Replying to" : "Editing"}: ${m.content.slice(0, 60)}` : "";
  $("composing").classList.toggle("hidden", !m);
  $("send").textContent = editing ? "Save" : "Send";
  if (editing) $("send-text").value = m.content;
  $("send-text").focus();
}

async function open(target) {
  peer = target;
  $("peer-title").textContent = target.name;
  $("send-text").disabled = $("send").disabled = $("attach").disabled = false;
  $("messages").innerHTML = "";
  shown.clear();
  readTo.clear();
  peerRead = 0n;
  compose(null, null);
  renderFriends();
  oldest = null;
  noOlder = false;
  $("members").textContent = "";
  const items = (await historyPage()).slice().reverse();
  items.forEach((m) => bubble(m));
  markRead(items);
  if (target.group) {
    const members = await api("GET", `/api/im/user-groups?groupId=${target.group}&maxResultCount=50`);
    $("members").textContent = `Members: ${members.items.map((u) => u.nickName || u.userName || u.userId).join(", ")}`;
  }
  // Who read my last message of a group so far; later reads come as `read` frames.
  const mine = items.filter((m) => m.fromUserId === me.userId && m.state !== 10);
  if (target.group && mine.length) {
    const last = mine[mine.length - 1].messageId;
    const who = await api("GET", `/api/im/chat/group/messages/${last}/readers?maxResultCount=100`);
    for (const r of who.items || []) readTo.set(r.userId, BigInt(last));
    refreshReceipts();
  }
}

// A page of the open conversation's history, newest first, before the oldest shown.
async function historyPage() {
  const before = oldest ? `&before=${oldest}` : "";
  const path = peer.user
    ? `/api/im/chat/my-messages?receiveUserId=${peer.user}&maxResultCount=30${before}`
    : `/api/im/chat/group/messages?groupId=${peer.group}&maxResultCount=30${before}`;
  const page = await api("GET", path);
  if (page.items.length) oldest = page.items[page.items.length - 1].messageId;
  if (page.items.length < 30) noOlder = true;
  return page.items;
}

// Scrolled to the top: the page before, kept in place.
async function loadOlder() {
  if (!peer || loadingOlder || noOlder || !oldest) return;
  loadingOlder = true;
  try {
    const box = $("messages");
    const height = box.scrollHeight;
    for (const m of await historyPage()) bubble(m, true);
    box.scrollTop += box.scrollHeight - height;
  } finally {
    loadingOlder = false;
  }
}

function markRead(items) {
  const theirs = items.filter((m) => m.fromUserId !== me.userId);
  if (!theirs.length) return;
  client.request({ type: "read", messageId: theirs[theirs.length - 1].messageId })
    .then(() => loadConversations())
    .catch(() => {});
}

function belongsHere(m) {
  if (!peer) return false;
  if (peer.group) return m.groupId === String(peer.group);
  return !m.groupId && (m.fromUserId === peer.user || m.toUserId === peer.user);
}

function onMessage(m) {
  if (belongsHere(m)) {
    bubble(m);
    markRead([m]);
  } else if (caughtUp && m.fromUserId !== me.userId) {
    banner("info", `New message from ${m.fromUserName || "someone"}.`);
    loadConversations().catch(() => {});
  }
}

function onEdited(f) {
  const m = shown.get(String(f.messageId));
  if (m) bubble({ ...m, content: f.content, editVersion: f.editVersion, editedAt: f.editedAt });
}

function onReaction(f) {
  const m = shown.get(String(f.messageId));
  if (!m) return;
  const reactions = (m.reactions || []).map((r) => ({ ...r }));
  let r = reactions.find((x) => x.emoji === f.emoji);
  if (!r) reactions.push(r = { emoji: f.emoji, count: 0, me: false });
  r.count = f.count;
  if (f.userId === me.userId) r.me = f.added;
  bubble({ ...m, reactions: reactions.filter((x) => x.count > 0) });
}

function onRead(f) {
  if (f.readerUserId === me.userId) return; // my other device read
  const to = BigInt(f.messageId);
  if (f.groupId && peer && peer.group && f.groupId === String(peer.group)) {
    if (!readTo.has(f.readerUserId) || readTo.get(f.readerUserId) < to) readTo.set(f.readerUserId, to);
  } else if (!f.groupId && peer && peer.user === f.peerUserId && to > peerRead) {
    peerRead = to;
  }
  refreshReceipts();
}

function onPresence(f) {
  const friend = friends.get(f.userId);
  if (friend) { friend.online = f.online; renderFriends(); }
}

function onTyping(f) {
  if (peer && f.userId === peer.user) {
    $("typing").textContent = "typing…";
    setTimeout(() => { $("typing").textContent = ""; }, 2000);
  }
}

function onRecalled(f) {
  const m = shown.get(String(f.messageId));
  if (m) bubble({ ...m, state: 10, content: "", reactions: [] });
}

function onNotice(f) {
  if (f.kind === "friend.accepted") banner("info", "");
  if (f.kind.startsWith("friend.") || f.kind.startsWith("group.")) loadSide().catch(() => {});
  if (f.kind === "system") banner("info", "System: " + (f.data && f.data.content));
}

$("auth-form").addEventListener("submit", (e) => { e.preventDefault(); auth("login"); });
$("end-others").addEventListener("click", async () => {
  const r = await api("DELETE", "/api/auth/sessions?scope=others").catch(() => null);
  if (r) banner("info", `Signed out ${r.ended} other session${r.ended === 1 ? "" : "s"}.`);
  loadSessions().catch(() => {});
});
$("register").addEventListener("click", () => auth("register"));
$("friends").addEventListener("click", (e) => {
  const li = e.target.closest("li[data-user]");
  if (li) open({ user: li.dataset.user, name: li.dataset.name }).catch(() => {});
});
for (const list of [$("groups"), $("conversations")]) {
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-group], li[data-user]");
    if (!li) return;
    const target = li.dataset.group
      ? { group: li.dataset.group, name: "# " + li.dataset.name }
      : { user: li.dataset.user, name: li.dataset.name };
    open(target).catch(() => {});
  });
}
$("group-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = $("group-name").value.trim();
  if (!name) return banner("error", "Write a group name.");
  const g = await api("POST", "/api/im/groups", { name });
  $("group-name").value = "";
  banner("info", `Made # ${g.name}: others join it with the id ${g.id}.`);
  await loadSide();
  open({ group: g.id, name: "# " + g.name }).catch(() => {});
});
$("join-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const groupId = $("join-id").value.trim();
  if (!/^\d+$/.test(groupId)) return banner("error", "A group id is a number.");
  await api("POST", "/api/im/user-groups/join", { groupId });
  $("join-id").value = "";
  banner("info", "Asked to join: an admin of the group accepts you.");
});
$("messages").addEventListener("scroll", () => {
  if ($("messages").scrollTop < 40) loadOlder().catch(() => {});
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
  if (editing) {
    const m = editing;
    client.request({ type: "edit", messageId: m.messageId, content })
      .then((ack) => bubble({ ...m, content, editVersion: ack.editVersion, editedAt: ack.editedAt }))
      .catch((err) => banner("error", err.message));
  } else {
    const out = { content };
    const display = { content };
    if (replying) {
      out.replyTo = display.replyTo = replying.messageId;
      display.replyPreview = { messageId: replying.messageId, fromUserName: replying.fromUserName,
        snippet: replying.content.slice(0, 100), state: replying.state };
    }
    sendMessage(out, display);
  }
  $("send-text").value = "";
  compose(null, null);
});
$("composing").addEventListener("click", () => compose(null, null));
$("attach").addEventListener("change", (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  attach(file).catch((err) => banner("error", err.message));
});
for (const zone of [$("messages"), $("send-text")]) {
  zone.addEventListener("dragover", (e) => { if (peer) e.preventDefault(); });
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    attach(e.dataTransfer.files[0]).catch((err) => banner("error", err.message));
  });
}
$("messages").addEventListener("click", (e) => {
  const link = e.target.closest("a[data-download]");
  if (link) {
    e.preventDefault();
    mediaUrl(`/api/im/media/${link.dataset.download}`).then((url) => {
      const a = document.createElement("a");
      a.href = url;
      a.download = link.dataset.name;
      a.click();
    }).catch((err) => banner("error", err.message));
    return;
  }
  const button = e.target.closest("button[data-act]");
  const div = e.target.closest(".bubble");
  const m = div && shown.get(div.dataset.id);
  if (!button || !m) return;
  if (button.dataset.act === "react") {
    const mine = (m.reactions || []).some((r) => r.emoji === "👍" && r.me);
    client.request({ type: "react", messageId: m.messageId, emoji: "👍", add: !mine })
      .catch((err) => banner("error", err.message));
  } else {
    compose(button.dataset.act, m);
  }
});
$("send-text").addEventListener("input", () => {
  if (peer && peer.user && client) client.notify({ type: "typing", toUserId: peer.user });
});

// The page's state, for the browser tests and the curious (a module's names are its own).
window.tryIt = {
  get token() { return token; },
  get refreshes() { return refreshes; },
  get client() { return client; },
  loadSide, loadSessions,
};
