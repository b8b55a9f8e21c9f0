// The peer in BENCHMARKS.md: a Socket.IO 4 chat relay, as a team would write one with the
// Redis adapter so several processes form one cluster. It authenticates nobody and stores
// nothing. A client names itself in the query (`?user=…&groups=…`) and joins its rooms.
// `send` {id, toUserId | groupId, content} reaches the user's room, or the group's room
// except the sender, as `message`, and the sender gets `ack` {id}.
//
//   node socketio-relay.mjs <port> [redis url]
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";

const port = Number(process.argv[2] ?? 3001);
const redisUrl = process.argv[3];
const io = new Server({ transports: ["websocket"], serveClient: false });
if (redisUrl) {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub, { key: `peer-${process.env.PEER_NAMESPACE ?? "bench"}` }));
}
io.on("connection", (socket) => {
  const { user, groups } = socket.handshake.query;
  socket.join(`u:${user}`);
  for (const g of String(groups ?? "").split(",").filter(Boolean)) socket.join(`g:${g}`);
  socket.on("send", (m) => {
    const message = { fromUserId: user, content: m.content, toUserId: m.toUserId ?? null, groupId: m.groupId ?? null };
    if (m.toUserId) io.to(`u:${m.toUserId}`).emit("message", message);
    else if (m.groupId) socket.to(`g:${m.groupId}`).emit("message", message);
    socket.emit("ack", { id: m.id });
  });
});
io.listen(port);
console.log(`socket.io relay on http://127.0.0.1:${port}${redisUrl ? " with the Redis adapter" : ""}`);
