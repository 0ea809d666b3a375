// Boot: config -> database -> migrations -> app -> worker -> listen.
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { loadConfig } from "./config";
import { openConfiguredDatabase } from "./db/client";
import { migrateDatabase } from "./db/migrate";
import { createApp } from "./app";
import { startWorker } from "./jobs/worker";

const config = loadConfig();
const database = await openConfiguredDatabase(config, { log: console.log });
await migrateDatabase(database);
const { app } = createApp({ database, config });
const worker = config.WORKER === "on" ? startWorker({ database, config }) : null;

const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  const where = database.embedded ? `embedded PostgreSQL in ${config.DATA_DIR}` : "PostgreSQL at DATABASE_URL";
  console.log(`Roster is running at http://localhost:${info.port} (database: ${where}${worker ? ", worker on" : ""})`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal} received, stopping`);
  await drain(server as Server, 10_000);
  await worker?.stop();
  await database.close();
  process.exit(0);
}
/**
 * Stops taking connections and lets the requests in progress finish (up to `ms`) before the database closes:
 * closed under them, they failed half done. Keep-alive connections are closed as soon as they are idle.
 */
async function drain(http: Server, ms: number) {
  const closed = new Promise((resolve) => http.close(resolve));
  const idle = setInterval(() => http.closeIdleConnections(), 50);
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, ms))]);
  clearInterval(idle);
  http.closeAllConnections();
}

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
