// `npm run worker`: a worker process without the web server, for scaling jobs apart from requests.
import { loadConfig } from "./config";
import { openDatabase } from "./db/client";
import { migrateDatabase } from "./db/migrate";
import { startWorker } from "./jobs/worker";

const config = loadConfig();
if (!config.DATABASE_URL) {
  console.error("npm run worker needs DATABASE_URL: the embedded database cannot be shared between processes (npm start already runs a worker).");
  process.exit(1);
}
const database = await openDatabase({ databaseUrl: config.DATABASE_URL });
await migrateDatabase(database);
const worker = startWorker({ database, config });
console.log(`Roster worker ${worker.id} started`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    await worker.stop();
    await database.close();
    process.exit(0);
  });
}
