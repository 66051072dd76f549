// Dashboard clients for `accesstwin bench fanout`: COUNT websocket clients of one lab.
//
//   node clients.mjs URL COUNT [MEASURED]
//
// The first MEASURED clients (default all) parse every frame as the dashboard does (batch
// frames unpacked) and, for each twin.delta whose reported.hr.ts is at or after the window start, records the
// latency now - hr.ts in a histogram of 0.1 ms bins and counts the update; the others
// only count the messages they receive (the service's work for them is the same).
// `bytes` counts payload bytes after inflating (what the client parses).
// Protocol on stdout, one JSON object a line:
//   {"event": "ready", "connected": n, "failed": m}   once every client has its snapshot
//   {"event": "report", ...}                          after "report" on stdin, then exit
// Commands on stdin, one a line: "start T0" (window start, Unix seconds), "report".
import { createInterface } from "node:readline";
import WebSocket from "ws";

const [url, countText, measuredText] = process.argv.slice(2);
const count = Number.parseInt(countText, 10);
const measured = measuredText === undefined ? count : Number.parseInt(measuredText, 10);
if (!url || !(count > 0) || !(measured >= 0)) {
  console.error("usage: node clients.mjs URL COUNT [MEASURED]");
  process.exit(2);
}

const CONNECT_AT_ONCE = 50;
const BIN_MS = 0.1;
let windowStart = Infinity;
const histogram = new Map(); // bin index -> count
const updates = new Array(Math.min(count, measured)).fill(0); // hr updates in the window
const messages = new Array(count).fill(0); // websocket messages received in the window
const bytes = new Array(count).fill(0); // their payload bytes
const closes = new Map(); // close code -> clients
let connected = 0;
let failed = 0;

function onFrame(index, frame, now) {
  if (frame.type !== "twin.delta") return;
  const hr = frame.reported && frame.reported.hr;
  if (!hr || hr.ts < windowStart) return;
  updates[index] += 1;
  const bin = Math.round(((now - hr.ts) * 1000) / BIN_MS);
  histogram.set(bin, (histogram.get(bin) || 0) + 1);
}

function open(index) {
  return new Promise((resolve) => {
    // Offer permessage-deflate as browsers do; the service decides (it accepts it on
    // batched lab sockets unless ACCESSTWIN_WS_DEFLATE=false).
    const ws = new WebSocket(url, { perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 });
    let first = true;
    ws.on("message", (data) => {
      if (first) {
        first = false; // the snapshot
        connected += 1;
        resolve();
        return;
      }
      const now = (performance.timeOrigin + performance.now()) / 1000;
      if (now >= windowStart) {
        messages[index] += 1;
        bytes[index] += data.length;
      }
      if (index >= measured) return;
      const frame = JSON.parse(data.toString());
      if (frame.type === "batch") {
        for (const f of frame.frames) onFrame(index, f, now);
      } else {
        onFrame(index, frame, now);
      }
    });
    ws.on("close", (code) => {
      closes.set(code, (closes.get(code) || 0) + 1);
      if (first) {
        first = false;
        failed += 1;
        resolve();
      }
    });
    ws.on("error", () => {});
  });
}

for (let start = 0; start < count; start += CONNECT_AT_ONCE) {
  const batch = [];
  for (let i = start; i < Math.min(count, start + CONNECT_AT_ONCE); i++) batch.push(open(i));
  await Promise.all(batch);
}
process.stdout.write(JSON.stringify({ event: "ready", connected, failed }) + "\n");

const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === "start") {
    windowStart = Number.parseFloat(arg);
  } else if (command === "report") {
    const report = {
      event: "report",
      clients: count,
      connected,
      failed,
      bin_ms: BIN_MS,
      histogram: Object.fromEntries(histogram),
      updates,
      messages,
      bytes,
      closes: Object.fromEntries(closes),
    };
    process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(0));
  }
});
