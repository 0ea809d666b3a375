// `npm run db:migrate`: applies the committed migrations to the configured database and exits.
import { loadConfig } from "../config";
import { openDatabase } from "./client";
import { migrateDatabase } from "./migrate";

const config = loadConfig();
// Two connections: on PostgreSQL one holds the migration lock while the migrations run on the other.
const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, maxConnections: 2 });
await migrateDatabase(database);
await database.close();
console.log(`Migrations applied (${database.kind === "postgres" ? "PostgreSQL" : `PGlite in ${config.DATA_DIR}`}).`);
