// Admin > Custom fields: the fields every contact of the account can have (list, add, delete).
import { Hono } from "hono";
import { z } from "zod";
import { CustomFieldsPage } from "../../views/admin/custom-fields";
import { NotFoundPage } from "../../views/error";
import { fieldErrors, readForm } from "../web/form";
import { CUSTOM_FIELD_TYPES } from "../db/schema";
import { redirectWithNotice, takeFlash } from "../web/flash";
import { parseId, requireRole, type AppEnv } from "../web";
import { createCustomField, CustomFieldKeyTakenError, deleteCustomField, keyFromLabel, listCustomFields } from "./queries";

const newFieldSchema = z.object({
  label: z
    .string()
    .trim()
    .min(1, "Enter a label.")
    .max(100, "Use at most 100 characters.")
    .refine((l) => keyFromLabel(l) !== "", "Use at least one letter or digit."),
  type: z.enum(CUSTOM_FIELD_TYPES, { message: "Choose a type." }),
});

export const customFieldRoutes = new Hono<AppEnv>()
  .use(requireRole("admin"))
  .get("/", async (c) => {
    const user = c.get("user")!;
    return c.html(<CustomFieldsPage user={user} fields={await listCustomFields(c.get("db"), user.accountId)} notice={await takeFlash(c)} />);
  })
  .post("/", async (c) => {
    const user = c.get("user")!;
    const db = c.get("db");
    const form = await readForm(c);
    const parsed = newFieldSchema.safeParse(form);
    const rerender = async (errors: Record<string, string | undefined>) =>
      c.html(<CustomFieldsPage user={user} fields={await listCustomFields(db, user.accountId)} values={form} errors={errors} />, 422);
    if (!parsed.success) return rerender(fieldErrors(parsed.error));
    try {
      const field = await createCustomField(db, user.accountId, parsed.data);
      return redirectWithNotice(c, "/admin/custom-fields", `The field ${field.label} was added (key ${field.key}).`);
    } catch (e) {
      if (e instanceof CustomFieldKeyTakenError) return rerender({ label: `${e.message} Choose another label.` });
      throw e;
    }
  })
  .post("/:id/delete", async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const deleted = id ? await deleteCustomField(c.get("db"), user.accountId, id) : null;
    if (!deleted) return c.html(<NotFoundPage user={user} />, 404);
    return redirectWithNotice(c, "/admin/custom-fields", `The field ${deleted.label} and its values were deleted.`);
  });
