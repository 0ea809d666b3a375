// `npm run admin -- <command>`: account and API key creation for operators and scripts.
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { loadConfig } from "./config";
import { openConfiguredDatabase } from "./db/client";
import { migrateDatabase } from "./db/migrate";
import { accountsTable } from "./db/schema";
import { createAccountWithAdmin, EmailTakenError } from "./auth/accounts";
import { createApiKey } from "./auth/api-keys";
import { MIN_PASSWORD_LENGTH } from "./auth/password";

const USAGE = `Usage:
  npm run admin -- create-account --name NAME --email EMAIL --password PASSWORD [--admin-name NAME]
      creates an account with its admin and prints the account id
  npm run admin -- create-api-key --account ID --name NAME
      prints the new key on the last line (it is not shown again)`;

/** A refusal of the command line: printed without a stack, exit code 2, after the database has been closed. */
class UsageError extends Error {}
function fail(message: string): never {
  throw new UsageError(message);
}

const [command, ...rest] = process.argv.slice(2);
if (!command || command === "help" || command === "--help") {
  console.log(USAGE);
  process.exit(command ? 0 : 2);
}

const { values } = parseArgs({
  args: rest,
  options: {
    name: { type: "string" },
    email: { type: "string" },
    password: { type: "string" },
    "admin-name": { type: "string" },
    account: { type: "string" },
  },
  strict: true,
});

const config = loadConfig();
let failure: UsageError | null = null;
const database = await openConfiguredDatabase(config, { maxConnections: 2 });
try {
  await migrateDatabase(database);
  const db = database.db;
  if (command === "create-account") {
    if (!values.name) fail("--name is required.\n" + USAGE);
    if (!values.email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) fail("--email must be an email address.");
    if (!values.password || values.password.length < MIN_PASSWORD_LENGTH) fail(`--password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
    try {
      const { account } = await createAccountWithAdmin(db, values.name, {
        name: values["admin-name"] ?? values.email,
        email: values.email,
        password: values.password,
      });
      console.log(`Created account "${account.name}" with admin ${values.email}`);
      console.log(account.id);
    } catch (e) {
      if (e instanceof EmailTakenError) fail(e.message);
      throw e;
    }
  } else if (command === "create-api-key") {
    const accountId = Number(values.account);
    if (!Number.isInteger(accountId) || accountId <= 0) fail("--account must be an account id.");
    if (!values.name) fail("--name is required.");
    const [account] = await db.select().from(accountsTable).where(eq(accountsTable.id, accountId));
    if (!account) fail(`There is no account ${accountId}.`);
    const { key } = await createApiKey(db, accountId, { name: values.name });
    console.log(`API key "${values.name}" for account "${account.name}" (shown once):`);
    console.log(key);
  } else {
    fail(`Unknown command "${command}".\n${USAGE}`);
  }
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  failure = e;
} finally {
  // The embedded server stops here if this command started it (an exit without closing would leave it running).
  await database.close();
}
if (failure) {
  console.error(failure.message);
  process.exit(2);
}
