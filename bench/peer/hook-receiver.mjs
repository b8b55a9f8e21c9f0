// A hook receiver for the benchmarks: before-send calls (any path but /events and /push) get
// {"action":"allow"} after DELAY_MS (default 1), events (/events: one event, or {"events": […]})
// are parsed and counted and get 200 at once, push jobs
// (/push, {"jobs": […]}) are counted and answered {"deadTokens": []}. It prints how many of
// each it has had, once a second.
import http from "node:http";

const port = Number(process.argv[2] || 8095);
const delay = Number(process.env.DELAY_MS ?? 1);
let checks = 0;
let events = 0;
let eventCalls = 0;
let pushCalls = 0;
let pushJobs = 0;

const server = http.createServer((req, res) => {
  if (req.url === "/push") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      pushCalls += 1;
      pushJobs += JSON.parse(Buffer.concat(chunks).toString()).jobs.length;
      res.writeHead(200, { "content-type": "application/json" }).end('{"deadTokens":[]}');
    });
    return;
  }
  if (req.url === "/events") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      eventCalls += 1;
      events += Array.isArray(body.events) ? body.events.length : 1;
      res.writeHead(200).end();
    });
    return;
  }
  req.resume();
  req.on("end", () => {
    checks += 1;
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" }).end('{"action":"allow"}');
    }, delay);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1");
setInterval(() => console.log(JSON.stringify({ checks, events, eventCalls, pushCalls, pushJobs })), 1000);
