// The admin console: signs in, refreshes the cluster's figures every two seconds, finds users
// and their connections, kicks and bans, broadcasts, browses and recalls messages, shows the
// webhook events' dead letters and replays them, lists notification definitions, publishes a
// test notification and shows the push hand-off's counts and the media storage used. Every failure of the API is shown in
// the banner, with its code.
"use strict";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("im.admin.token");
let refreshToken = sessionStorage.getItem("im.admin.refresh");
let timer = null;

function keep(tokens) {
  token = tokens.accessToken;
  refreshToken = tokens.refreshToken;
  sessionStorage.setItem("im.admin.token", token);
  sessionStorage.setItem("im.admin.refresh", refreshToken);
}

// Trades the refresh token for new tokens (access tokens live minutes). Two calls that race
// present the same token and get the same answer, so neither signs the console out.
async function renew() {
  if (!refreshToken) return false;
  const res = await fetch("/api/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refreshToken }),
  }).catch(() => null);
  if (!res || !res.ok) return false;
  keep(await res.json());
  return true;
}

// Every value from the server is text: escaped for element content and quoted attributes
// alike (quotes too, so a name cannot close an attribute and open another).
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };
function esc(text) {
  return (text == null ? "" : String(text)).replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

function showError(message) {
  const b = $("error");
  b.textContent = message;
  b.classList.toggle("show", !!message);
}

async function api(method, path, body, again = true) {
  const headers = { "Authorization": "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    showError("The server cannot be reached: " + e.message);
    throw e;
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status === 401 && again && await renew()) return api(method, path, body, false);
  if (!res.ok) {
    const err = (json && json.error) || {};
    if (res.status === 401) signOut("Your session ended; sign in again.");
    const message = `${method} ${path}: ${res.status} ${err.code || ""} ${err.message || ""}`.trim();
    showError(message);
    throw new Error(message);
  }
  showError("");
  return json;
}

function signOut(why) {
  token = null;
  refreshToken = null;
  sessionStorage.removeItem("im.admin.token");
  sessionStorage.removeItem("im.admin.refresh");
  clearInterval(timer);
  $("console").classList.add("hidden");
  $("logout").classList.add("hidden");
  $("login-view").classList.remove("hidden");
  $("who").textContent = "";
  $("login-error").textContent = why || "";
}

async function signIn(event) {
  event.preventDefault();
  const userName = $("login-user").value.trim();
  const password = $("login-password").value;
  if (!userName || !password) {
    $("login-error").textContent = "Enter a user name and a password.";
    return;
  }
  const res = await fetch("/api/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ userName, password, platform: "web", deviceName: "Admin console" }),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    $("login-error").textContent = (json.error && json.error.message) || `Sign-in failed (${res.status}).`;
    return;
  }
  keep(json);
  const me = await fetch("/api/auth/me", { headers: { "Authorization": "Bearer " + token } }).then((r) => r.json());
  if (!(me.roles || []).some((r) => r.toLowerCase() === "admin")) {
    signOut("This account is not an administrator.");
    return;
  }
  start(me);
}

function start(me) {
  $("login-view").classList.add("hidden");
  $("console").classList.remove("hidden");
  $("logout").classList.remove("hidden");
  if (me) $("who").textContent = me.userName;
  clearInterval(timer);
  // The cluster's figures are the host's; a tenant's administrator manages users and groups.
  if (me && me.tenantId) {
    $("cluster").classList.add("hidden");
    return;
  }
  refresh();
  timer = setInterval(() => {
    refresh();
    loadPush().catch(() => {});
    loadMedia().catch(() => {});
    loadCharts().catch(() => {});
  }, 2000);
  loadCharts().catch(() => {});
  loadMedia().catch(() => {});
  loadEvents().catch(() => {});
  loadNotifications().catch(() => {});
}

const TYPES = { 0: "application", 10: "system", 20: "user", 30: "service callback" };

// Notification definitions, and the publish form's choice of them.
async function loadNotifications() {
  const defs = await api("GET", "/api/notifications/definitions/notifications");
  $("definitions").innerHTML = defs.items.map((d) => `<tr><td><strong>${esc(d.name)}</strong><br>
      <span class="muted">${esc(d.displayName)}</span></td><td>${esc(d.groupName)}</td>
      <td>${esc(TYPES[d.notificationType] || d.notificationType)}</td>
      <td>${d.allowSubscriptionToClients ? "yes" : "no"}${d.isStatic ? ' <span class="pill">built in</span>' : ""}</td></tr>`).join("")
    || '<tr><td colspan="4" class="muted">No definitions.</td></tr>';
  $("publish-name").innerHTML = defs.items.map((d) => `<option value="${esc(d.name)}">${esc(d.name)}</option>`).join("");
  await loadPush();
}

// Storage: how many media are kept, and how much they take.
async function loadMedia() {
  const m = await api("GET", "/api/admin/media");
  const size = m.bytes >= 1 << 30 ? `${(m.bytes / (1 << 30)).toFixed(1)} GiB`
    : m.bytes >= 1 << 20 ? `${(m.bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(m.bytes / 1024)} KiB`;
  $("stat-media").textContent = `${m.media} · ${size}`;
  $("stat-media").title = m.store;
}

// This pod's push hand-off: on or off, and what it has sent.
async function loadPush() {
  const p = await api("GET", "/api/admin/push");
  $("push-state").textContent = p.enabled
    ? `· push: ${p.sent} sent, ${p.failed} failed, ${p.deadTokens} dead tokens, ${p.waiting} waiting (${p.node})`
    : "· push: off (push.webhook_url, push.redis_stream)";
}

async function publish(event) {
  event.preventDefault();
  const name = $("publish-name").value;
  const user = $("publish-user").value.trim();
  const message = $("publish-text").value.trim();
  $("publish-error").textContent = "";
  if (user && !/^[0-9a-f-]{36}$/i.test(user)) {
    $("publish-error").textContent = "A user id is a GUID.";
    return;
  }
  const body = { name, data: { title: "Test", message } };
  if (user) body.userIds = [user];
  const r = await api("POST", "/api/push/notifications", body);
  $("publish-result").textContent = `published ${r.id} to ${r.recipients} inbox${r.recipients === 1 ? "" : "es"}`;
  loadPush().catch(() => {});
}

// The event outbox: how much waits, and the dead letters, each of which can be replayed.
async function loadEvents() {
  const o = await api("GET", "/api/admin/events/outbox");
  $("outbox-state").textContent = o.enabled
    ? `· ${o.waiting} waiting, ${o.deadLetters} dead letters`
    : "· off (hooks.events)";
  const dead = await api("GET", "/api/admin/events/dead-letters?maxResultCount=50");
  $("dead-letters").innerHTML = dead.items.map((d) => `<tr><td><strong>${esc(d.event)}</strong><br>
      <span class="muted">${esc(d.eventId)}</span></td><td>${esc(new Date(d.createdAt).toLocaleString())}</td>
      <td class="num">${esc(d.attempts)}</td><td class="muted">${esc(d.lastError)}</td>
      <td><button class="plain" data-replay="${esc(d.id)}">Replay</button></td></tr>`).join("")
    || '<tr><td colspan="5" class="muted">No dead letters.</td></tr>';
}

async function refresh() {
  const s = await api("GET", "/api/admin/stats");
  $("stat-pods").textContent = s.pods;
  $("stat-connections").textContent = s.connections;
  $("stat-online").textContent = s.onlineUsers;
  $("stat-rate").textContent = Number(s.messagesPerSecond || 0).toFixed(1);
  $("node").textContent = s.perPod.length ? "via " + s.perPod[0].node : "";
  $("pods").innerHTML = s.perPod.map((p) => `<tr><td>${esc(p.node)}${p.self ? ' <span class="pill">this pod</span>' : ""}</td>
    <td class="num">${esc(p.nodeId)}</td><td class="num">${esc(p.connections)}</td><td class="num">${esc(p.onlineUsers)}</td>
    <td class="num">${esc(p.userActors)}</td><td class="num">${esc(p.groupActors)}</td>
    <td class="num">${Number(p.messagesPerSecond || 0).toFixed(1)}</td></tr>`).join("");
  $("refreshed").textContent = "· updated " + new Date().toLocaleTimeString();
}

// Charts of the last 15 minutes (uPlot, served with the page): one per figure, a line per pod
// and the cluster's total in bold. The server keeps the samples (every 5 s, on the clock's
// 5-second marks, so the pods' line up), so the charts are full as soon as the console opens.
const FIGURES = [
  ["messagesPerSecond", "Messages / s"], ["connections", "Connections"], ["onlineUsers", "Online users"],
  ["writesPending", "Writes pending"], ["busPublishMs", "Bus publish, ms"], ["errorsPerSecond", "Errors / s"],
];
const COLORS = ["#2f6fed", "#1f9d55", "#c77c02", "#d43d3d", "#7a4fd8", "#0f8fa3"];
const charts = new Map(); // figure → { plot, names }

async function loadCharts() {
  const h = await api("GET", "/api/admin/stats/history");
  const times = h.total.map((s) => s.t / 1000);
  const at = new Map(times.map((t, i) => [t, i]));
  const names = ["total", ...h.pods.map((p) => p.node)];
  for (const [key, title] of FIGURES) {
    const lines = [h.total.map((s) => s[key])];
    for (const pod of h.pods) {
      const line = times.map(() => null);
      for (const s of pod.samples) if (at.has(s.t / 1000)) line[at.get(s.t / 1000)] = s[key];
      lines.push(line);
    }
    const data = [times, ...lines];
    const chart = charts.get(key);
    if (chart && chart.names.join() === names.join()) {
      chart.plot.setData(data);
      continue;
    }
    if (chart) chart.plot.destroy();
    let box = document.querySelector(`#charts [data-figure="${key}"]`);
    if (!box) {
      box = document.createElement("div");
      box.dataset.figure = key;
      $("charts").appendChild(box);
    }
    const series = [{}, { label: "total", stroke: "#222", width: 2 },
      ...h.pods.map((p, i) => ({ label: p.node, stroke: COLORS[i % COLORS.length], width: 1 }))];
    const width = Math.max(260, box.clientWidth || 300);
    const plot = new uPlot({ title, width, height: 170, series, scales: { x: { time: true } } }, data, box);
    charts.set(key, { plot, names });
  }
}

// The page's charts, for the browser tests and the curious.
window.adminConsole = { charts };

async function findUsers(event) {
  if (event) event.preventDefault();
  const filter = encodeURIComponent($("user-filter").value.trim());
  const page = await api("GET", `/api/admin/users?filter=${filter}&maxResultCount=50`);
  $("users").innerHTML = page.items.map((u) => `<tr>
      <td><strong>${esc(u.userName)}</strong><br><span class="muted">${esc(u.userId)}</span></td>
      <td>${u.online ? '<span class="pill on">online</span>' : '<span class="pill">offline</span>'}
          ${u.banned ? '<span class="pill bad">banned</span>' : ""}</td>
      <td class="row">
        <button class="plain" data-connections="${esc(u.userId)}" data-name="${esc(u.userName)}">Connections</button>
        <button class="plain" data-kick="${esc(u.userId)}">Kick</button>
        ${u.banned ? `<button class="plain" data-unban="${esc(u.userId)}">Unban</button>`
                   : `<button class="danger" data-ban="${esc(u.userId)}">Ban</button>`}
      </td></tr>`).join("") || '<tr><td colspan="3" class="muted">No user matches.</td></tr>';
}

async function showConnections(userId, name) {
  const list = await api("GET", `/api/admin/connections?userId=${userId}`);
  $("connections-box").classList.remove("hidden");
  $("connections-of").textContent = name;
  $("connections").innerHTML = list.items.map((c) => `<tr><td>${esc(c.node)}</td><td>${esc(new Date(c.since).toLocaleString())}</td>
      <td>${esc(c.remoteAddr)}</td><td class="muted">${esc(c.userAgent)}</td></tr>`).join("")
    || '<tr><td colspan="4" class="muted">Not connected.</td></tr>';
}

async function onUsersClick(event) {
  const b = event.target.closest("button");
  if (!b) return;
  const d = b.dataset;
  if (d.connections) return showConnections(d.connections, d.name);
  if (d.kick) await api("POST", `/api/admin/users/${d.kick}/kick`);
  if (d.ban && confirm("Ban this user? They are disconnected and cannot sign in.")) await api("POST", `/api/admin/users/${d.ban}/ban`);
  if (d.unban) await api("POST", `/api/admin/users/${d.unban}/unban`);
  findUsers();
}

async function broadcast(event) {
  event.preventDefault();
  const content = $("broadcast-text").value.trim();
  $("broadcast-error").textContent = "";
  if (!content || content.length > 4096) {
    $("broadcast-error").textContent = "Write 1 to 4096 characters.";
    return;
  }
  const r = await api("POST", "/api/admin/broadcast", { content });
  $("broadcast-result").textContent = `sent (${r.sessions} session${r.sessions === 1 ? "" : "s"} on this pod)`;
  $("broadcast-text").value = "";
}

async function loadMessages(event) {
  if (event) event.preventDefault();
  const kind = $("messages-kind").value;
  const id = $("messages-id").value.trim();
  $("messages-error").textContent = "";
  const valid = kind === "userId" ? /^[0-9a-f-]{36}$/i.test(id) : /^[0-9]{1,19}$/.test(id);
  if (!valid) {
    $("messages-error").textContent = kind === "userId" ? "A user id is a GUID." : "A group id is a number.";
    return;
  }
  const filter = encodeURIComponent($("messages-filter").value.trim());
  const page = await api("GET", `/api/admin/messages?${kind}=${id}&filter=${filter}&maxResultCount=50`);
  $("messages").innerHTML = page.items.map((m) => `<tr><td>${esc(m.fromUserName || m.fromUserId)}</td>
      <td>${m.state === 10 ? '<span class="pill">recalled</span>' : esc(m.content)}</td>
      <td class="muted">${esc(new Date(m.sendTime).toLocaleString())}</td>
      <td>${m.state === 10 ? "" : `<button class="plain" data-recall="${esc(m.messageId)}">Recall</button>`}</td></tr>`).join("")
    || '<tr><td colspan="4" class="muted">No messages.</td></tr>';
}

async function onMessagesClick(event) {
  const b = event.target.closest("button[data-recall]");
  if (!b) return;
  await api("DELETE", `/api/admin/messages/${b.dataset.recall}`);
  loadMessages();
}

$("login-form").addEventListener("submit", signIn);
$("events-reload").addEventListener("click", () => loadEvents().catch(() => {}));
$("notifications-reload").addEventListener("click", () => loadNotifications().catch(() => {}));
$("publish-form").addEventListener("submit", (e) => publish(e).catch(() => {}));
$("dead-letters").addEventListener("click", async (e) => {
  const b = e.target.closest("button[data-replay]");
  if (!b) return;
  await api("POST", `/api/admin/events/dead-letters/${b.dataset.replay}/replay`).catch(() => {});
  loadEvents().catch(() => {});
});
$("logout").addEventListener("click", () => {
  // The session ends on the server too: its tokens stop working everywhere.
  if (token) fetch("/api/auth/logout", { method: "POST", headers: { "Authorization": "Bearer " + token } }).catch(() => {});
  signOut("");
});
$("user-form").addEventListener("submit", (e) => findUsers(e).catch(() => {}));
$("users").addEventListener("click", (e) => onUsersClick(e).catch(() => {}));
$("broadcast-form").addEventListener("submit", (e) => broadcast(e).catch(() => {}));
$("messages-form").addEventListener("submit", (e) => loadMessages(e).catch(() => {}));
$("messages").addEventListener("click", (e) => onMessagesClick(e).catch(() => {}));
if (token) {
  api("GET", "/api/auth/me").then(start, () => signOut(""));
}
