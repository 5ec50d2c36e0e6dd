// Starts cognito-local (an Amazon Cognito user pool emulator) bound to loopback only, on the given port (0 = any free
// port), with its data in a fresh temporary directory that is removed on exit, and prints one JSON line
// {"service":"cognito-local","port":N} when it is ready. With --exit-with-stdin it also exits when its parent closes
// stdin; it always exits on SIGTERM/SIGINT, so a crashed parent never leaves it behind.
// Usage: node scripts/emulators/cognito-local.mjs [--port N] [--exit-with-stdin]
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const host = "127.0.0.1";

// cognito-local reads HOST and PORT once, when its config module loads, and bakes them into every token's `iss`
// (http://HOST:PORT/<poolId>). So the port must be known before the import: ask the kernel for a free one first.
const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
let port = Number.parseInt(option("--port", "0"), 10);
if (port === 0) port = await freePort();
process.env.HOST = host;
process.env.PORT = String(port);
// The AWS SDK v2 it bundles (for triggers, unused here) prints an end-of-support notice on load.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";

// Its data (pools, clients, users) goes to .cognito/ under the working directory: use a private temporary one, so
// a run never writes into the repository and never sees another run's users.
const dataRoot = mkdtempSync(join(tmpdir(), "fanout-cognito-"));
process.chdir(dataRoot);
const removeData = () => rmSync(dataRoot, { recursive: true, force: true });

const { createDefaultServer } = await import("cognito-local");
const { default: pino } = await import("pino");
// Silent: its request log would carry user names and tokens.
const server = await createDefaultServer(pino({ level: "silent" }));
const listening = await server.start();
process.stdout.write(JSON.stringify({ service: "cognito-local", port: listening.address().port }) + "\n");

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  listening.closeAllConnections?.();
  listening.close(() => {
    removeData();
    process.exit(0);
  });
  // A connection that will not close must not keep the data directory alive.
  setTimeout(() => {
    removeData();
    process.exit(0);
  }, 2000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (args.includes("--exit-with-stdin")) {
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}
