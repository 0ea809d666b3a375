// Reading HTML forms: the posted fields as strings, and zod's issues as one message per field.
import type { Context } from "hono";
import type { z } from "zod";
import type { FieldErrors } from "../../views/auth/pages";

/** The posted form's text fields (the last value of a repeated name); file fields are left out. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const form: Record<string, string> = {};
  for (const [name, value] of Object.entries(await c.req.parseBody())) if (typeof value === "string") form[name] = value;
  return form;
}

/** The first issue of each field, keyed by the field's name (`form` for issues about the whole form). */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}
