// Admin pages: the account's users (add, change role, deactivate) and its API keys (create, revoke).
import { Hono } from "hono";
import { z } from "zod";
import { AccountSettingsPage } from "../../views/admin/account";
import { ApiKeysPage } from "../../views/admin/api-keys";
import { UsersPage } from "../../views/admin/users";
import { NotFoundPage } from "../../views/error";
import { changeUserRole, createUser, EmailTakenError, getDefaultCountry, listUsers, setDefaultCountry, setUserActive } from "../auth/accounts";
import { isCountryCode, listCountries } from "../contacts/phone";
import { createApiKey, listApiKeys, revokeApiKey } from "../auth/api-keys";
import { emailSchema, passwordSchema } from "../auth/credentials";
import { fieldErrors, readForm } from "../web/form";
import { ROLES } from "../db/schema";
import { redirectWithNotice, takeFlash } from "../web/flash";
import { parseId, requireRole, type AppEnv } from "../web";

const newUserSchema = z.object({
  name: z.string().trim().min(1, "Enter a name.").max(200),
  email: emailSchema,
  role: z.enum(ROLES, { message: "Choose a role." }),
  password: passwordSchema,
});

const newKeySchema = z.object({
  name: z.string().trim().min(1, "Enter a name for the key.").max(100),
  scope: z.enum(["full", "send"]).default("full"),
  origins: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, "Each origin is a scheme and host, like https://shop.example.com (no path)."))),
});

export const adminRoutes = new Hono<AppEnv>()
  .use(requireRole("admin"))
  .get("/account", async (c) => {
    const user = c.get("user")!;
    const defaultCountry = await getDefaultCountry(c.get("db"), user.accountId);
    return c.html(<AccountSettingsPage user={user} defaultCountry={defaultCountry} countries={listCountries()} notice={c.req.query("notice")} />);
  })
  .post("/account", async (c) => {
    const user = c.get("user")!;
    const country = (await readForm(c)).defaultCountry ?? "";
    if (!isCountryCode(country)) {
      const current = await getDefaultCountry(c.get("db"), user.accountId);
      return c.html(<AccountSettingsPage user={user} defaultCountry={current} countries={listCountries()} error="Choose a country from the list." />, 422);
    }
    await setDefaultCountry(c.get("db"), user.accountId, country);
    return c.redirect(`/admin/account?notice=${encodeURIComponent("Saved.")}`, 303);
  })
  .get("/users", async (c) => {
    const user = c.get("user")!;
    return c.html(<UsersPage user={user} users={await listUsers(c.get("db"), user.accountId)} notice={await takeFlash(c)} />);
  })
  .post("/users", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const form = await readForm(c);
    const parsed = newUserSchema.safeParse(form);
    const rerender = async (errors: Record<string, string>) =>
      c.html(<UsersPage user={user} users={await listUsers(db, user.accountId)} values={form} errors={errors} />, 422);
    if (!parsed.success) return rerender(fieldErrors(parsed.error) as Record<string, string>);
    try {
      const created = await createUser(db, user.accountId, parsed.data);
      return redirectWithNotice(c, "/admin/users", `${created.email} was added as ${created.role}.`);
    } catch (e) {
      if (e instanceof EmailTakenError) return rerender({ email: e.message });
      throw e;
    }
  })
  .post("/users/:id/role", async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const role = z.enum(ROLES).safeParse((await readForm(c)).role);
    if (id === user.id) return redirectWithNotice(c, "/admin/users", { text: "You cannot change your own role.", tone: "warning" });
    if (!id || !role.success) return c.html(<NotFoundPage user={user} />, 404);
    const changed = await changeUserRole(c.get("db"), user.accountId, id, role.data);
    if (!changed) return c.html(<NotFoundPage user={user} />, 404);
    return redirectWithNotice(c, "/admin/users", `${changed.email} is now ${changed.role}.`);
  })
  .post("/users/:id/:action{deactivate|activate}", async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    if (id === user.id) return redirectWithNotice(c, "/admin/users", { text: "You cannot deactivate yourself.", tone: "warning" });
    const active = c.req.param("action") === "activate";
    const changed = id ? await setUserActive(c.get("db"), user.accountId, id, active) : null;
    if (!changed) return c.html(<NotFoundPage user={user} />, 404);
    const what = active ? "reactivated" : "deactivated; their sessions have ended";
    return redirectWithNotice(c, "/admin/users", `${changed.email} was ${what}.`);
  })
  .get("/api-keys", async (c) => {
    const user = c.get("user")!;
    return c.html(<ApiKeysPage user={user} keys={await listApiKeys(c.get("db"), user.accountId)} />);
  })
  .post("/api-keys", async (c) => {
    const db = c.get("db");
    const user = c.get("user")!;
    const form = await readForm(c);
    const parsed = newKeySchema.safeParse(form);
    if (!parsed.success) {
      return c.html(<ApiKeysPage user={user} keys={await listApiKeys(db, user.accountId)} values={form} errors={fieldErrors(parsed.error)} />, 422);
    }
    const { key, apiKey } = await createApiKey(db, user.accountId, {
      name: parsed.data.name,
      scope: parsed.data.scope,
      allowedOrigins: parsed.data.scope === "send" ? parsed.data.origins : [],
      createdBy: user.id,
    });
    c.header("Cache-Control", "no-store");
    return c.html(<ApiKeysPage user={user} keys={await listApiKeys(db, user.accountId)} created={{ name: apiKey.name, key }} />, 201);
  })
  .post("/api-keys/:id/revoke", async (c) => {
    const user = c.get("user")!;
    const id = parseId(c.req.param("id"));
    const revoked = id ? await revokeApiKey(c.get("db"), user.accountId, id) : null;
    if (!revoked) return c.html(<NotFoundPage user={user} />, 404);
    return c.redirect("/admin/api-keys", 303);
  });
