// Reads the environment (and a .env file) once at start and validates it; a bad value stops the process naming the variable.
import { existsSync } from "node:fs";
import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  // Settings for the embedded PostgreSQL when Roster starts it, over the ones sized to the machine (src/db/embedded.ts):
  // "name=value" pairs separated by spaces, e.g. "shared_buffers=1GB max_wal_size=8GB".
  EMBEDDED_PG_SETTINGS: z
    .string()
    .regex(/^\s*([a-z_.]+=\S+\s*)*$/, 'must be name=value pairs separated by spaces, e.g. "shared_buffers=1GB max_wal_size=8GB"')
    .default("")
    .transform((s) => s.split(/\s+/).filter(Boolean)),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  LOG_LEVEL: z.enum(["silent", "info"]).default("info"),
  WORKER: z.enum(["on", "off"]).default("on"),
  EXPORT_TTL_DAYS: z.coerce.number().positive().default(7),
  IMPORT_TTL_DAYS: z.coerce.number().positive().default(30),
  SECURE_COOKIES: z.enum(["auto", "on", "off"]).default("auto"),
  // How many proxies (load balancer, CDN) stand in front of Roster and append to X-Forwarded-For. 0: the socket's
  // address is the client's. Behind one proxy the socket is always the proxy, and sign-in throttling per address
  // would count every user as one.
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
});

export type Config = z.infer<typeof schema>;

/** Parses the environment; on a bad value prints which variable is wrong and exits. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A .env file in the folder Roster runs from fills in what the environment does not set (the environment wins).
  if (env === process.env && existsSync(".env")) process.loadEnvFile(".env");
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      console.error(`Configuration error: ${issue.path.join(".")}: ${issue.message}`);
    }
    process.exit(1);
  }
  return parsed.data;
}

/** The same parse without exiting, for tests and tools that build a config by hand. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  return schema.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== "")));
}
