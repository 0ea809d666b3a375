// Reading HTML forms: zod's issues as one message per field.
import type { z } from "zod";
import type { FieldErrors } from "../../views/auth/pages";

/** The first issue of each field, keyed by the field's name (`form` for issues about the whole form). */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? "form");
    out[key] ??= issue.message;
  }
  return out;
}
