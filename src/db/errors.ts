// What a failed statement's error says, read the same way for every driver error drizzle wraps.
/** A unique index refused the row (SQLSTATE 23505; drizzle 0.45 puts the driver's error in `cause`). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === "23505" || err?.cause?.code === "23505";
}
