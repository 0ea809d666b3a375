// HTML fragments of the conditions builder: its redraw after an edit (add, remove, nest, a reshaping select) and its
// live count with the first ten matching contacts. Any page embeds the builder (views/conditions/builder.tsx).
import { Hono, type Context } from "hono";
import { ConditionsBuilder, ConditionsPreview } from "../../views/conditions/builder";
import { listCustomFields } from "../custom-fields/queries";
import { logError } from "../log";
import { safeNextPath } from "../web/safe-path";
import { listSegments } from "../segments/queries";
import { requireRole, type AppEnv } from "../web";
import { builderPrefix, conditionsFromDraft, draftFromRequest, type Form } from "./form";
import { ConditionsTooBroadError, countAndPreview } from "./preview";

export const BUILDER_URL = "/conditions/builder";
export const PREVIEW_URL = "/conditions/preview";

/** The account's segments and custom fields, as the builder lists them. */
export async function builderChoices(c: Context<AppEnv>) {
  const db = c.get("db");
  const accountId = c.get("user")!.accountId;
  const [segments, fields] = await Promise.all([listSegments(db, accountId), listCustomFields(db, accountId)]);
  return { segments: segments.map((s) => ({ id: s.id, name: s.name })), customFields: fields.map((f) => ({ key: f.key, label: f.label, type: f.type })) };
}

function one(body: Form, key: string): string {
  const v = body[key];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" ? first : "";
}

export const conditionRoutes = new Hono<AppEnv>()
  .use(requireRole("viewer"))
  .post("/builder", async (c) => {
    const body = (await c.req.parseBody({ all: true })) as Form;
    const prefix = builderPrefix(body);
    const draft = draftFromRequest(body, prefix);
    const choices = await builderChoices(c);
    const previewUrl = one(body, "cb_preview") ? safeNextPath(one(body, "cb_preview"), "") || null : null;
    const parsed = conditionsFromDraft(draft, prefix, choices.customFields, { skipUnfinished: true });
    return c.html(
      <ConditionsBuilder
        draft={draft}
        prefix={prefix}
        {...choices}
        errors={parsed && !parsed.ok ? parsed.errors : undefined}
        builderUrl={BUILDER_URL}
        previewUrl={previewUrl}
        legend={one(body, "cb_legend").slice(0, 100) || undefined}
      />,
    );
  })
  .post("/preview", async (c) => {
    const body = (await c.req.parseBody({ all: true })) as Form;
    const prefix = builderPrefix(body);
    const { customFields } = await builderChoices(c);
    const parsed = conditionsFromDraft(draftFromRequest(body, prefix), prefix, customFields, { skipUnfinished: true });
    if (!parsed) return c.html(<ConditionsPreview count={null} contacts={[]} />);
    if (!parsed.ok) return c.html(<ConditionsPreview count={null} contacts={[]} message={`Check the conditions: ${Object.values(parsed.errors)[0]}`} />);
    try {
      const p = await countAndPreview(c.get("db"), c.get("user")!.accountId, parsed.value, { limit: 10 });
      return c.html(<ConditionsPreview count={p.count} contacts={p.contacts} />);
    } catch (e) {
      if (e instanceof ConditionsTooBroadError) return c.html(<ConditionsPreview count={null} contacts={[]} message={e.message} />);
      logError("conditions preview", e);
      throw e;
    }
  });
