// Maps the header row of an imported CSV to contact fields: built-in aliases first, then the account's custom fields by key or label.
export type BuiltinField = "email" | "first_name" | "last_name" | "phone";
export type ColumnTarget = BuiltinField | `custom:${string}` | "skip";

export interface CustomFieldRef {
  key: string;
  label: string;
}

const ALIASES = new Map<string, BuiltinField>(
  Object.entries({
    email: "email",
    emailaddress: "email",
    mail: "email",
    firstname: "first_name",
    fname: "first_name",
    givenname: "first_name",
    lastname: "last_name",
    lname: "last_name",
    surname: "last_name",
    familyname: "last_name",
    phone: "phone",
    phonenumber: "phone",
    mobile: "phone",
    mobilephone: "phone",
    telephone: "phone",
  } satisfies Record<string, BuiltinField>),
);

/** Lowercases and drops spaces, '-' and '_', so "E-mail", "e_mail" and "EMAIL" compare equal. */
export function normaliseHeader(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, "");
}

/**
 * Proposes a target for every column of `header`. Built-in names win over custom fields with the
 * same normalised name; each target is given to its first matching column only (a second "Email"
 * column is skipped rather than fighting the first); unknown columns are "skip".
 */
export function mapHeaders(header: readonly string[], customFields: readonly CustomFieldRef[] = []): ColumnTarget[] {
  const custom = new Map<string, string>();
  for (const field of customFields) {
    for (const name of [field.key, field.label]) {
      const normalised = normaliseHeader(name);
      if (normalised && !custom.has(normalised)) custom.set(normalised, field.key);
    }
  }
  const used = new Set<ColumnTarget>();
  return header.map((name) => {
    const normalised = normaliseHeader(name);
    const builtin = ALIASES.get(normalised);
    const customKey = custom.get(normalised);
    const target: ColumnTarget = builtin ?? (customKey !== undefined ? `custom:${customKey}` : "skip");
    if (target === "skip" || used.has(target)) return "skip";
    used.add(target);
    return target;
  });
}
