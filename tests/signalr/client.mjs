// A real @microsoft/signalr client, remote-controlled by a test: commands arrive as JSON lines
// on stdin, and everything the client sees leaves as JSON lines on stdout.
//
//   node client.mjs <hub url> <token> [options JSON]
//   options: {"skipNegotiation": bool, "reconnectDelays": [ms, …], "callbacks": [name, …]}
//   commands: {"op":"start"} {"op":"invoke","id":n,"method":…,"args":[…]}
//             {"op":"send","method":…,"args":[…]} {"op":"stop"}
//   events:   started, start-failed, result, error, call, reconnecting, reconnected, closed, stopped
import * as signalR from "@microsoft/signalr";
import { createInterface } from "node:readline";

const [url, token, optionsText] = process.argv.slice(2);
const options = optionsText ? JSON.parse(optionsText) : {};
const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");

const connectionOptions = { accessTokenFactory: () => token };
if (options.skipNegotiation) {
  connectionOptions.skipNegotiation = true;
  connectionOptions.transport = signalR.HttpTransportType.WebSockets;
}
let builder = new signalR.HubConnectionBuilder()
  .withUrl(url, connectionOptions)
  .configureLogging(signalR.LogLevel.None);
if (options.reconnectDelays) builder = builder.withAutomaticReconnect(options.reconnectDelays);
const connection = builder.build();

const callbacks = [
  "get-chat-message", "recall-chat-message", "on-user-onlined", "on-user-offlined",
  ...(options.callbacks ?? []),
];
for (const target of callbacks) {
  connection.on(target, (...args) => emit({ event: "call", target, args }));
}
connection.onreconnecting((error) => emit({ event: "reconnecting", error: error?.message ?? null }));
connection.onreconnected((connectionId) => emit({ event: "reconnected", connectionId }));
connection.onclose((error) => emit({ event: "closed", error: error?.message ?? null }));

const lines = createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const command = JSON.parse(line);
  switch (command.op) {
    case "start":
      try {
        await connection.start();
        emit({ event: "started", connectionId: connection.connectionId });
      } catch (error) {
        emit({ event: "start-failed", error: error.message });
      }
      break;
    case "invoke":
      try {
        const value = await connection.invoke(command.method, ...command.args);
        emit({ event: "result", id: command.id, value: value ?? null });
      } catch (error) {
        emit({ event: "error", id: command.id, message: error.message });
      }
      break;
    case "send":
      await connection.send(command.method, ...command.args).catch(() => {});
      break;
    case "stop":
      await connection.stop();
      emit({ event: "stopped" });
      break;
  }
});
lines.on("close", () => connection.stop().finally(() => process.exit(0)));
