// Dashboard clients for `accesstwin bench fanout`: COUNT websocket clients of one lab.
//
//   node clients.mjs URL COUNT [MEASURED]
//
// The first MEASURED clients (default all) parse every frame as the dashboard does (batch
// frames unpacked) and, for each twin.delta whose reported.hr.ts is at or after the window
// start, records the latency now - hr.ts in a histogram of 0.1 ms bins and counts the
// update; the others only count the messages they receive (the service's work for them is
// the same). What a browser would not do is kept out of the per-message path: the counters
// and the histogram are preallocated typed arrays (no allocation, Map or Date per update),
// so what a message costs is ws's receive, the UTF-8 decode and JSON.parse, as in a page.
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
const BINS = 600_000; // 0-60 s in 0.1 ms bins (2.4 MB); later ones in `late`
let windowStart = Infinity;
const histogram = new Uint32Array(BINS); // bin index -> count
const late = new Map(); // bin index -> count, for bins past BINS (rare)
const updates = new Uint32Array(Math.min(count, measured)); // hr updates in the window
const messages = new Uint32Array(count); // websocket messages received in the window
const bytes = new Float64Array(count); // their payload bytes
const closes = new Map(); // close code -> clients
let connected = 0;
let failed = 0;

function onFrame(index, frame, now) {
  if (frame.type !== "twin.delta") return;
  const hr = frame.reported && frame.reported.hr;
  if (!hr || hr.ts < windowStart) return;
  updates[index] += 1;
  const bin = Math.max(0, Math.round(((now - hr.ts) * 1000) / BIN_MS));
  if (bin < BINS) histogram[bin] += 1;
  else late.set(bin, (late.get(bin) || 0) + 1);
}

function histogramObject() {
  const out = {};
  for (let bin = 0; bin < BINS; bin++) if (histogram[bin]) out[bin] = histogram[bin];
  for (const [bin, n] of late) out[bin] = n;
  return out;
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
        const frames = frame.frames;
        for (let i = 0; i < frames.length; i++) onFrame(index, frames[i], now);
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
      histogram: histogramObject(),
      updates: Array.from(updates),
      messages: Array.from(messages),
      bytes: Array.from(bytes),
      closes: Object.fromEntries(closes),
    };
    process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(0));
  }
});
