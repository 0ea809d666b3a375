// Export pages (editors and admins): the wizard, the export list with its polling fragment, cancel, retry, download.
import { Hono, type Context } from "hono";
import { NotFoundPage } from "../../views/error";
import { ExportListPage, ExportList } from "../../views/exports/list";
import { Toast } from "../../views/components/toast";
import { ExportSummary, ExportSummaryPage, ExportWizard, ExportWizardPage, WIZARD_STEPS, type WizardState, type WizardStep } from "../../views/exports/wizard";
import { redirectWithNotice, takeFlash, type Notice } from "../web/flash";
import { markJobNoticesShown } from "../jobs/notices";
import { isFragmentRequest, pageOrFragment, parseId, requireRole, type AppEnv } from "../web";
import { availableFields, DEFAULT_FIELDS, UnknownFieldsError, type ExportField } from "./fields";
import { isExportFormat } from "./formats";
import { listSegmentChoices } from "../segments/choices";
import { streamExportFile } from "./download";
import { cancelExport, getExport, getExportByToken, listExports, requestExport, retryExport, SegmentNotFoundError, type ExportView } from "./queries";
import { listCustomFields } from "../custom-fields/queries";
import { isDateForm, isDecimalMark } from "../custom-fields/typed-values";

/** Labels of an export's properties, for the summary (a property deleted since shows its id). */
export function fieldLabels(exp: ExportView, available: ExportField[]): string[] {
  const byId = new Map(available.map((f) => [f.id, f.label]));
  return exp.fields.map((id) => byId.get(id) ?? id);
}

function readState(form: Record<string, string | string[] | File | (string | File)[]>): WizardState {
  const one = (v: unknown) => (typeof v === "string" ? v : Array.isArray(v) && typeof v[0] === "string" ? v[0] : "");
  const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === "string");
  return {
    type: one(form.type) || "contacts",
    segment: one(form.segment) || "all",
    fields: list(form.fields),
    format: one(form.format),
    dateForm: one(form.date_form) || "ymd",
    decimalMark: one(form.decimal_mark) || ".",
  };
}

async function renderWizard(c: Context<AppEnv>, step: WizardStep, state: WizardState, error?: string) {
  const db = c.get("db");
  const accountId = c.get("actor").accountId;
  const segments = await listSegmentChoices(db, accountId, { limit: 1000 });
  const fields = availableFields(await listCustomFields(db, accountId, { order: "created" }), state.segment !== "all");
  const props = { step, state, segments, fields, error };
  return pageOrFragment(
    c,
    () => <ExportWizardPage user={c.get("user")!} {...props} />,
    () => <ExportWizard {...props} />,
    error ? 422 : 200,
  );
}

/** The export list; a fragment request with a notice gets it as a toast beside the list. */
async function renderList(c: Context<AppEnv>, notice?: Notice) {
  const before = parseId(c.req.query("before"));
  const list = await listExports(c.get("db"), c.get("actor").accountId, { before });
  const ended = list.exports.filter((e) => e.status !== "queued" && e.status !== "running").map((e) => e.jobId);
  await markJobNoticesShown(c.get("db"), c.get("actor").accountId, ended, c.get("actor").userId);
  const props = { ...list, before };
  return pageOrFragment(
    c,
    async () => <ExportListPage user={c.get("user")!} notice={await takeFlash(c)} {...props} />,
    () => (
      <>
        <ExportList {...props} />
        {notice && (
          <hx-partial hx-target="#toasts" hx-swap="beforeend">
            <Toast notice={notice} />
          </hx-partial>
        )}
      </>
    ),
  );
}

export const exportRoutes = new Hono<AppEnv>()
  .use(requireRole("editor"))
  .get("/", (c) => renderList(c))
  .get("/new", (c) => renderWizard(c, "type", { type: "contacts", segment: "all", fields: DEFAULT_FIELDS, format: "csv", dateForm: "ymd", decimalMark: "." }))
  .post("/new", async (c) => {
    const db = c.get("db");
    const actor = c.get("actor");
    const form = await c.req.parseBody({ all: true });
    const state = readState(form);
    const action = typeof form.action === "string" ? form.action : "next";
    const step = (WIZARD_STEPS as readonly string[]).includes(String(form.step)) ? (form.step as WizardStep) : "type";
    const index = WIZARD_STEPS.indexOf(step);
    if (action === "back") return renderWizard(c, WIZARD_STEPS[Math.max(0, index - 1)]!, state);
    if (step === "type") {
      if (state.type !== "contacts") return renderWizard(c, "type", state, "Choose what to export.");
      return renderWizard(c, "segment", state);
    }
    const segmentId = state.segment === "all" ? null : parseId(state.segment);
    const available = availableFields(await listCustomFields(db, actor.accountId, { order: "created" }), segmentId !== null);
    if (step === "segment") {
      const segments = await listSegmentChoices(db, actor.accountId, { limit: 1000 });
      if (state.segment !== "all" && !segments.some((s) => String(s.id) === state.segment)) {
        return renderWizard(c, "segment", { ...state, segment: "all" }, "That segment no longer exists. Choose another.");
      }
      // Membership columns only exist for a segment: drop them when the choice became all contacts.
      const ids = new Set(available.map((f) => f.id));
      return renderWizard(c, "properties", { ...state, fields: state.fields.filter((f) => ids.has(f)) });
    }
    if (step === "properties") {
      if (action === "all") return renderWizard(c, "properties", { ...state, fields: available.map((f) => f.id) });
      if (action === "none") return renderWizard(c, "properties", { ...state, fields: [] });
      // Checkbox order is the display order; keep it as the column order.
      const chosen = available.map((f) => f.id).filter((id) => state.fields.includes(id));
      if (chosen.length === 0) return renderWizard(c, "properties", { ...state, fields: [] }, "Choose at least one property.");
      return renderWizard(c, "format", { ...state, fields: chosen, format: state.format || "csv" });
    }
    if (!isExportFormat(state.format)) return renderWizard(c, "format", state, "Choose an output format.");
    const { dateForm, decimalMark } = state;
    if (!isDateForm(dateForm) || !isDecimalMark(decimalMark))
      return renderWizard(c, "format", { ...state, dateForm: "ymd", decimalMark: "." }, "Choose a date form and a decimal mark from the lists.");
    let exp: ExportView;
    try {
      exp = await requestExport(db, actor, { segmentId, fields: state.fields, format: state.format, dateForm, decimalMark });
    } catch (e) {
      if (e instanceof SegmentNotFoundError) return renderWizard(c, "segment", { ...state, segment: "all" }, e.message);
      if (e instanceof UnknownFieldsError) return renderWizard(c, "properties", state, `${e.message} Choose again.`);
      throw e;
    }
    if (isFragmentRequest(c)) {
      c.header("Vary", "HX-Request");
      return c.html(<ExportSummary exp={exp} fieldLabels={fieldLabels(exp, available)} />, 201);
    }
    return c.redirect(`/exports/${exp.id}`, 303);
  })
  .get("/:id{[0-9]+}", async (c) => {
    const actor = c.get("actor");
    const id = parseId(c.req.param("id"));
    const exp = id ? await getExport(c.get("db"), actor.accountId, id) : null;
    if (!exp) return c.html(<NotFoundPage user={c.get("user")} />, 404);
    const available = availableFields(await listCustomFields(c.get("db"), actor.accountId, { order: "created" }), exp.segmentId !== null);
    // Seen finishing here: the layout's notice would only repeat it.
    if (exp.status !== "queued" && exp.status !== "running") await markJobNoticesShown(c.get("db"), actor.accountId, [exp.jobId], actor.userId);
    const labels = fieldLabels(exp, available);
    return pageOrFragment(
      c,
      () => <ExportSummaryPage user={c.get("user")!} exp={exp} fieldLabels={labels} />,
      () => <ExportSummary exp={exp} fieldLabels={labels} />,
    );
  })
  .post("/:id{[0-9]+}/:action{cancel|retry}", async (c) => {
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    const id = parseId(c.req.param("id"));
    const cancel = c.req.param("action") === "cancel";
    const exp = id ? await (cancel ? cancelExport(db, accountId, id) : retryExport(db, accountId, id)) : null;
    if (!exp && !(id && (await getExport(db, accountId, id)))) return c.html(<NotFoundPage user={c.get("user")} />, 404);
    const notice: Notice = exp
      ? { text: cancel ? "The export was cancelled." : "The export was queued again." }
      : { text: cancel ? "That export had already ended." : "Only a failed or cancelled export can be retried.", tone: "warning" };
    if (isFragmentRequest(c)) return renderList(c, notice);
    return redirectWithNotice(c, "/exports", notice);
  })
  .get("/:token{[a-z0-9]{32}}/download", async (c) => {
    const db = c.get("db");
    const accountId = c.get("actor").accountId;
    const exp = await getExportByToken(db, accountId, c.req.param("token"));
    const response = exp ? await streamExportFile(c.get("deps").database, accountId, exp) : null;
    if (!response) return c.html(<NotFoundPage user={c.get("user")} />, 404);
    return response;
  });
