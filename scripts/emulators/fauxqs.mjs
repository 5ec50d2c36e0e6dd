// Starts fauxqs (SNS + SQS emulator) bound to loopback only, on the given port (0 = any free port), and
// prints one JSON line {"service":"fauxqs","port":N} when it is ready. With --exit-with-stdin it also exits when its
// parent closes stdin; it always exits on SIGTERM/SIGINT, so a crashed parent never leaves it behind.
// Usage: node scripts/emulators/fauxqs.mjs [--port N] [--region us-east-1] [--exit-with-stdin]
import { buildApp } from "fauxqs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const port = Number.parseInt(option("--port", "0"), 10);
const region = option("--region", "us-east-1");

// fauxqs's own start function listens on every interface; building the app ourselves keeps it on loopback.
const app = buildApp({ logger: false, defaultRegion: region });
const address = await app.listen({ port, host: "127.0.0.1" });
const actualPort = Number.parseInt(new URL(address).port, 10);
process.stdout.write(JSON.stringify({ service: "fauxqs", port: actualPort }) + "\n");

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
  } finally {
    process.exit(0);
  }
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (args.includes("--exit-with-stdin")) {
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}
