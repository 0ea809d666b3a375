// Boot: config -> database -> migrations -> app -> worker -> listen.
import { serve } from "@hono/node-server";
import { loadConfig } from "./config";
import { openDatabase } from "./db/client";
import { migrateDatabase } from "./db/migrate";
import { createApp } from "./app";
import { startWorker } from "./jobs/worker";

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
await migrateDatabase(database);
const { app } = createApp({ database, config });
const worker = config.WORKER === "on" ? startWorker({ database, config }) : null;

const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  const where = database.kind === "postgres" ? "PostgreSQL" : `embedded PGlite in ${config.DATA_DIR}`;
  console.log(`Roster is running at http://localhost:${info.port} (database: ${where}${worker ? ", worker on" : ""})`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal} received, stopping`);
  server.close();
  await worker?.stop();
  await database.close();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
