// The NUL rule: PostgreSQL's text and jsonb cannot hold U+0000, so input carrying it is refused at the edge, naming where it was.

/** The field error for text holding U+0000; forms show it beside the field, the API names the field. */
export const NUL_MESSAGE = "Must not contain a NUL character (U+0000).";

export function hasNul(value: string): boolean {
  return value.includes("\u0000");
}

/** For zod's `.refine`: `z.string().refine(...withoutNul)`. */
export const withoutNul = [(value: string) => !hasNul(value), { message: NUL_MESSAGE }] as const;

/**
 * PostgreSQL's answer to a NUL that got past the checks (text: 22021, jsonb: 22P05). The error handler turns it into
 * a 400 instead of a 500: the request was wrong, not the server.
 */
export function isNulRejection(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string }; message?: string };
  const code = err?.code ?? err?.cause?.code;
  return (
    (code === "22021" || code === "22P05") && /0x00|\\u0000/.test(String(err?.message ?? "") + String((err?.cause as { message?: string })?.message ?? ""))
  );
}
