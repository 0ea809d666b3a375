// The events API: POST /api/v1/events (one) and /api/v1/events/batch (up to 1,000), bodies up to 1 MB.
import type { IncomingMessage } from "node:http";
import { Hono, type Context } from "hono";
import { apiError, requireApiRole, validationFailed, type AppEnv } from "../web";
import { coalescerFor } from "./coalesce";
import { ingestEvents } from "./ingest";
import { getDefaultCountry } from "../auth/accounts";
import { parsePhone } from "../contacts/phone";
import type { Db } from "../db/client";
import { validateBatch, validateEvent, type EventValidation, type NormalizedEvent, type ValidationDetail } from "./validate";

export const MAX_EVENTS_BODY_BYTES = 1024 * 1024;

/**
 * The body, at most `max` bytes (null when larger), read straight from Node's request. hono's bodyLimit asks the
 * request for its web stream first, which builds a whole web Request (abort signal, stream, headers): a tenth of
 * the server's time on single events. A declared length over the limit is refused before anything is read.
 */
async function readBody(c: Context<AppEnv>, max: number): Promise<string | null> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > max) return null;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    // Not behind @hono/node-server (app.request in a script): the web request is all there is.
    const text = await c.req.text();
    return Buffer.byteLength(text) > max ? null : text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

async function readJson(c: Context<AppEnv>): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const text = await readBody(c, MAX_EVENTS_BODY_BYTES);
  if (text === null) return { ok: false, response: apiError(c, 413, "payload_too_large", "The body is larger than 1 MB: send fewer events per batch.") };
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch {
    return { ok: false, response: apiError(c, 400, "invalid_json", "The body is not valid JSON.") };
  }
}

/** A send-only key sits in public web pages: what it sends may create a contact or fill empty fields, never change one. */
function isSendOnly(c: Context<AppEnv>): boolean {
  return c.get("apiKey")?.scope === "send";
}

export const eventsApi = new Hono<AppEnv>()
  .use(requireApiRole("editor"))
  .post("/", async (c) => {
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    const [checked] = await checkPhones(c.get("db"), c.get("actor").accountId, [validateEvent(parsed.body)], "");
    if (!checked!.ok) return validationFailed(c, checked.details, { former_code: "invalid_event" }, describeProblems(checked.details));
    const result = await coalescerFor(c.get("db")).submit(c.get("actor").accountId, checked!.event, { fillEmptyOnly: isSendOnly(c) });
    return c.json(result, result.status === "accepted" ? 202 : 200);
  })
  .post("/batch", async (c) => {
    const parsed = await readJson(c);
    if (!parsed.ok) return parsed.response;
    const checked = validateBatch(parsed.body);
    if (!checked.ok) return validationFailed(c, checked.details, { former_code: "invalid_batch" }, describeProblems(checked.details));
    const withPhones = await checkPhones(c.get("db"), c.get("actor").accountId, checked.results, "events");
    checked.results = checked.results.map((r, i) => ({ ...withPhones[i]!, index: r.index }));
    const good: NormalizedEvent[] = [];
    const positions: number[] = [];
    for (const r of checked.results) {
      if (r.ok) {
        good.push(r.event);
        positions.push(r.index);
      }
    }
    const { results: stored } = await ingestEvents(c.get("db"), c.get("actor").accountId, good, { fillEmptyOnly: isSendOnly(c) });
    const byIndex = new Map(positions.map((index, i) => [index, stored[i]!]));
    const results = checked.results.map((r) =>
      r.ok
        ? { index: r.index, id: r.event.id, status: byIndex.get(r.index)!.status }
        : { index: r.index, id: idOf(parsed.body, r.index), status: "rejected" as const, details: r.details },
    );
    const count = (s: string) => results.filter((r) => r.status === s).length;
    const summary = { accepted: count("accepted"), duplicates: count("duplicate"), rejected: count("rejected") };
    if (good.length === 0) {
      const details = checked.results.flatMap((r) => (r.ok ? [] : r.details));
      return validationFailed(
        c,
        details,
        { ...summary, results, former_code: "invalid_event" },
        `All ${results.length} events were rejected. ${describeProblems(details)}`,
      );
    }
    return c.json({ ...summary, results }, 200);
  });

/**
 * A contact phone in an event is read in the account's default country and stored in E.164; one that does not
 * parse rejects its event (path contact.phone). The country is read only when some event carries a phone.
 */
async function checkPhones<T extends EventValidation & { index?: number }>(
  db: Db,
  accountId: number,
  results: T[],
  prefix: string,
): Promise<EventValidation[]> {
  if (!results.some((r) => r.ok && r.event.contact?.phone)) return results;
  const country = await getDefaultCountry(db, accountId);
  return results.map((r, i) => {
    const phone = r.ok ? r.event.contact?.phone : undefined;
    if (!r.ok || !phone || phone.trim() === "") return r;
    const parsed = parsePhone(phone, country);
    if (!parsed.ok)
      return {
        ok: false,
        details: [{ path: prefix ? `${prefix}[${r.index ?? i}].contact.phone` : "contact.phone", message: `is not a valid phone number (${parsed.message})` }],
      };
    return { ok: true, event: { ...r.event, contact: { ...r.event.contact!, phone: parsed.e164 } } };
  });
}

function describeProblems(details: ValidationDetail[]): string {
  const n = details.length;
  const first = details[0];
  const head = first ? `${first.path || "body"} ${first.message}` : "invalid";
  return n > 1 ? `${n} problems, first: ${head}.` : `${head}.`;
}

function idOf(body: unknown, index: number): string | null {
  const event = (body as { events?: unknown[] }).events?.[index];
  const id = typeof event === "object" && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : null;
}
