// Checking contact input from the form and from the API: email, names, phone, and custom values by their type.
import { z } from "zod";
import { parseCustomValues, type CustomFieldDef } from "../custom-fields/queries";
import type { CountryCode } from "libphonenumber-js/max";
import { withoutNul } from "../text";
import { parsePhone } from "./phone";
import type { ContactFields } from "./queries";

export const contactEmailSchema = z
  .string({ message: "Enter an email address." })
  .trim()
  .min(1, "Enter an email address.")
  .max(254, "Use at most 254 characters.")
  .email("Enter a valid email address.")
  .refine(...withoutNul);
const optionalText = (max: number) =>
  z
    .string({ message: "Must be text." })
    .max(max, `Use at most ${max} characters.`)
    .refine(...withoutNul)
    .nullable()
    .optional();

const baseSchema = z.object({
  email: contactEmailSchema,
  firstName: optionalText(200),
  lastName: optionalText(200),
  phone: optionalText(50),
});

export type ContactErrors = Record<string, string>;

function zodErrors(error: z.ZodError, rename: (k: string) => string = (k) => k): ContactErrors {
  const out: ContactErrors = {};
  for (const issue of error.issues) {
    const key = rename(String(issue.path[0] ?? "_"));
    out[key] ??= issue.message;
  }
  return out;
}

/** A phone as typed to E.164 in the account's country; blank is null (no phone). */
function checkPhone(value: string | null | undefined, country: CountryCode): { phone: string | null } | { error: string } {
  if (value === null || value === undefined || value.trim() === "") return { phone: null };
  const r = parsePhone(value, country);
  return r.ok ? { phone: r.e164 } : { error: r.message };
}

/** The add and edit forms: plain fields plus "custom.<key>" inputs. Phones are stored in E.164. */
export function parseContactForm(form: Record<string, string>, defs: CustomFieldDef[], country: CountryCode): { data?: ContactFields; errors: ContactErrors } {
  const parsed = baseSchema.safeParse(form);
  const customInput: Record<string, unknown> = {};
  for (const d of defs) if (`custom.${d.key}` in form) customInput[d.key] = form[`custom.${d.key}`];
  const custom = parseCustomValues(defs, customInput, "form");
  const errors: ContactErrors = parsed.success ? {} : zodErrors(parsed.error);
  for (const [k, msg] of Object.entries(custom.errors)) errors[`custom.${k}`] = msg;
  const phone = parsed.success ? checkPhone(parsed.data.phone, country) : { phone: null };
  if ("error" in phone) errors.phone = phone.error;
  if (!parsed.success || "error" in phone || Object.keys(errors).length > 0) return { errors };
  return {
    data: {
      email: parsed.data.email,
      firstName: parsed.data.firstName ?? null,
      lastName: parsed.data.lastName ?? null,
      phone: phone.phone,
      custom: custom.values,
    },
    errors,
  };
}

const apiSchema = z
  .object({
    email: contactEmailSchema,
    first_name: optionalText(200),
    last_name: optionalText(200),
    phone: optionalText(50),
    custom: z.record(z.string(), z.unknown(), { message: "custom must be an object of values by field key." }).optional(),
  })
  .strict();

/** The API's contact body (snake_case). With `partial`, every field is optional (PATCH). */
export function parseContactJson(
  body: unknown,
  defs: CustomFieldDef[],
  options: { partial: boolean; country: CountryCode },
): { data?: Partial<ContactFields>; error?: { field: string; message: string } } {
  const schema = options.partial ? apiSchema.partial() : apiSchema;
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.code === "unrecognized_keys" ? (issue.keys?.[0] ?? "") : issue.path.join(".");
    const message = issue.code === "unrecognized_keys" ? `Unknown field "${issue.keys?.[0]}".` : issue.message;
    return { error: { field, message } };
  }
  const v = parsed.data;
  const data: Partial<ContactFields> = {};
  if (v.email !== undefined) data.email = v.email;
  if (v.first_name !== undefined) data.firstName = v.first_name;
  if (v.last_name !== undefined) data.lastName = v.last_name;
  if (v.phone !== undefined) {
    const phone = checkPhone(v.phone, options.country);
    if ("error" in phone) return { error: { field: "phone", message: phone.error } };
    data.phone = phone.phone;
  }
  if (v.custom !== undefined) {
    const custom = parseCustomValues(defs, v.custom, "json");
    const first = Object.entries(custom.errors)[0];
    if (first) return { error: { field: `custom.${first[0]}`, message: first[1] } };
    data.custom = custom.values;
  }
  return { data };
}
