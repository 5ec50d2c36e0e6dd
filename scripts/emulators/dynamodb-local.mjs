// Starts AWS's DynamoDB Local (the jar shipped in the npm package amplify-dynamodb-simulator) in memory on a
// free loopback port and prints one JSON line {"service":"dynamodb-local","port":N} once it accepts
// connections. Java is its child: on SIGTERM/SIGINT (or, with --exit-with-stdin,
// when stdin closes), it kills
// Java and exits, so no orphan JVM survives the parent.
// Usage: node scripts/emulators/dynamodb-local.mjs [--port N] [--exit-with-stdin]
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const i = args.indexOf("--port");
let port = i >= 0 ? Number.parseInt(args[i + 1], 10) : 0;

const emulatorDir = path.join(path.dirname(require.resolve("amplify-dynamodb-simulator/package.json")), "emulator");

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
  });

const accepts = (p) =>
  new Promise((resolve) => {
    const socket = net.connect({ port: p, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

if (port === 0) port = await freePort();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-ddb-"));
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));

const java = spawn(
  process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java",
  [
    "-Xms64m",
    "-Xmx512m",
    `-Djava.library.path=${path.join(emulatorDir, "DynamoDBLocal_lib")}`,
    "-jar",
    path.join(emulatorDir, "DynamoDBLocal.jar"),
    "-inMemory",
    "-disableTelemetry",
    "-port",
    String(port),
  ],
  // Its own scratch directory: DynamoDB Local writes a metadata file into its working directory.
  { stdio: ["ignore", "ignore", "inherit"], cwd: scratch },
);

let stopping = false;
const stop = (code = 0) => {
  if (stopping) return;
  stopping = true;
  java.kill("SIGTERM");
  const force = setTimeout(() => java.kill("SIGKILL"), 3000);
  java.once("exit", () => {
    clearTimeout(force);
    process.exit(code);
  });
  if (java.exitCode !== null || java.signalCode !== null) process.exit(code);
};

java.once("exit", (code, signal) => {
  if (!stopping) {
    process.stderr.write(`DynamoDB Local exited early (code ${code}, signal ${signal})\n`);
    process.exit(1);
  }
});
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));
if (args.includes("--exit-with-stdin")) {
  process.stdin.on("end", () => stop(0));
  process.stdin.on("close", () => stop(0));
  process.stdin.resume();
}

// Wait until the JVM listens (DynamoDB Local prints nothing reliable to key on).
const deadline = Date.now() + 30_000;
while (!(await accepts(port))) {
  if (Date.now() > deadline) {
    process.stderr.write(`DynamoDB Local did not listen on ${port} within 30 s\n`);
    stop(1);
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
if (!stopping) process.stdout.write(JSON.stringify({ service: "dynamodb-local", port }) + "\n");
