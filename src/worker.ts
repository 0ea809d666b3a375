// `npm run worker`: a worker process without the web server, for scaling jobs apart from requests.
import { loadConfig } from "./config";
import { openConfiguredDatabase } from "./db/client";
import { migrateDatabase } from "./db/migrate";
import { startWorker } from "./jobs/worker";

const config = loadConfig();
const database = await openConfiguredDatabase(config, { log: console.log });
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
