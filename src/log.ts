// Error lines for the server log: what failed and where, never the values a failed query was sent with.

/** A driver's error (postgres.js, PGlite): SQLSTATE and message; its `detail` and `parameters` can hold row values. */
function isDatabaseError(e: Error): e is Error & { code: string } {
  return typeof (e as { code?: unknown }).code === "string" && "severity" in e;
}

/** drizzle's wrapper: its message lists every parameter value after the statement. */
function isQueryError(e: Error): e is Error & { query: string } {
  return typeof (e as { query?: unknown }).query === "string" && Array.isArray((e as { params?: unknown }).params);
}

/**
 * The error and its causes in one text, with the statement of a failed query but not its parameter values, which
 * are often emails and names (personal data has no place in logs). The stack keeps its frames, not its message.
 */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const parts: string[] = [];
  let statement: string | null = null;
  let current: unknown = e;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    if (isQueryError(current)) {
      statement = current.query;
      parts.push(`Failed query: ${statement}`);
    } else if (isDatabaseError(current)) {
      // postgres.js puts the statement on its own error when no drizzle wrapper did (queryRows' prepared path).
      const query = (current as { query?: unknown }).query;
      const own = typeof query === "string" && query !== statement ? ` in: ${query}` : "";
      parts.push(`${current.name} ${current.code}: ${current.message}${own}`);
    } else {
      parts.push(`${current.name}: ${current.message}`);
    }
    current = current.cause;
  }
  const frames = (e.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return [parts.join("\n  caused by "), ...frames].join("\n");
}

/** The message a user or a job record may show: the error's own message, without a failed query's values. */
export function errorMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (isQueryError(e)) {
    const cause = e.cause instanceof Error ? (isDatabaseError(e.cause) ? `${e.cause.message} (SQLSTATE ${e.cause.code})` : e.cause.message) : null;
    return cause ? `A database statement failed: ${cause}` : "A database statement failed.";
  }
  return e.message;
}

export function logError(context: string, e: unknown): void {
  console.error(`${context}: ${describeError(e)}`);
}
