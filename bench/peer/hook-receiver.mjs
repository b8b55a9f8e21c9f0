// A hook receiver for the benchmarks: before-send calls (any path but /events) get
// {"action":"allow"} after DELAY_MS (default 1), events (/events) get 200 at once. It prints
// how many of each it has had, once a second.
import http from "node:http";

const port = Number(process.argv[2] || 8095);
const delay = Number(process.env.DELAY_MS ?? 1);
let checks = 0;
let events = 0;

const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    if (req.url === "/events") {
      events += 1;
      res.writeHead(200).end();
      return;
    }
    checks += 1;
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" }).end('{"action":"allow"}');
    }, delay);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1");
setInterval(() => console.log(JSON.stringify({ checks, events })), 1000);
