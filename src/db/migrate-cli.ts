// `npm run db:migrate`: applies the committed migrations to the configured database and exits.
import { loadConfig } from "../config";
import { openConfiguredDatabase } from "./client";
import { migrateDatabase } from "./migrate";

const config = loadConfig();
// Two connections: one holds the migration lock while the migrations run on the other.
const database = await openConfiguredDatabase(config, { maxConnections: 2, log: console.log });
await migrateDatabase(database);
await database.close();
console.log(`Migrations applied (${config.DATABASE_URL ? "PostgreSQL at DATABASE_URL" : `embedded PostgreSQL in ${config.DATA_DIR}`}).`);
