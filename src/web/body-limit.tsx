// How large a request body each route takes: refused with 413 on its declared length and while it is read.
import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { ErrorPage } from "../../views/error";
import { MAX_EVENTS_BODY_BYTES } from "../events/api";
import { MAX_PASTE_CHARS, MAX_UPLOAD_BYTES } from "../imports/upload";
import { MAX_TEXT_BYTES } from "../segments/email-lines";
import { apiError, isFragmentRequest, type AppEnv } from ".";

const KB = 1024;
const MB = 1024 * KB;

export const BODY_LIMITS = {
  /** Sign-in, setup, sign-out, password change: a few fields anyone may send, signed in or not. */
  credentials: 8 * KB,
  /** Every other HTML form. */
  form: 64 * KB,
  /** JSON API calls. */
  api: 1 * MB,
  /** Membership calls by email: 10,000 emails of up to 254 characters, quoted and separated. */
  membersByEmail: 4 * MB,
  /** PUT /api/v1/segments/:id/contacts as text: 5,000,000 emails, one a line. */
  emailLines: MAX_TEXT_BYTES,
  /** The paste box's live preview sends what the paste form itself takes (a form-encoded character can be 9 bytes). */
  pastePreview: MAX_PASTE_CHARS * 4,
  /** Uploads: the file plus multipart framing (see receiveUpload). */
  upload: MAX_UPLOAD_BYTES + 64 * KB,
  events: MAX_EVENTS_BODY_BYTES,
} as const;

export interface BodyLimit {
  max: number;
  /**
   * The route reads its body from the request stream itself and enforces `max` on the declared length and while
   * reading (uploads into the file store, the events API's readBody), with messages of their own: the middleware
   * leaves the request alone.
   */
  streamed: boolean;
}

const CREDENTIAL_PATHS = new Set(["/sign-in", "/setup", "/sign-out", "/account/password"]);

/** The limit of one request. Every route gets one: a new route falls under `form` or `api` unless listed here. */
export function bodyLimitFor(method: string, path: string, contentType?: string): BodyLimit {
  const post = method === "POST";
  if (post && (path === "/api/v1/events" || path === "/api/v1/events/batch")) return { max: BODY_LIMITS.events, streamed: true };
  if (post && (path === "/api/v1/imports" || path === "/imports")) return { max: BODY_LIMITS.upload, streamed: true };
  if (/^\/api\/v1\/segments\/[^/]+\/contacts$/.test(path)) {
    // PUT takes a list of one email per line too, streamed by the route (src/segments/email-lines.ts).
    if (method === "PUT" && /^text\/(plain|csv)\b/i.test(contentType ?? "")) return { max: BODY_LIMITS.emailLines, streamed: true };
    return { max: BODY_LIMITS.membersByEmail, streamed: false };
  }
  if (path.startsWith("/api/")) return { max: BODY_LIMITS.api, streamed: false };
  if (CREDENTIAL_PATHS.has(path)) return { max: BODY_LIMITS.credentials, streamed: false };
  if (path === "/imports/paste-preview") return { max: BODY_LIMITS.pastePreview, streamed: false };
  return { max: BODY_LIMITS.form, streamed: false };
}

function describeSize(bytes: number): string {
  if (bytes >= MB) return `${Math.floor(bytes / MB)} MB`;
  return `${Math.floor(bytes / KB)} KB`;
}

function tooLarge(c: Context<AppEnv>, max: number): Response | Promise<Response> {
  const size = describeSize(max);
  if (c.req.path.startsWith("/api/")) return apiError(c, 413, "payload_too_large", `The body is larger than ${size}, the most this endpoint takes.`);
  const message = `What was sent is larger than ${size}, the most this form takes. Send less at a time.`;
  if (isFragmentRequest(c))
    return c.html(
      <p class="notice error" role="alert">
        {message}
      </p>,
      413,
    );
  return c.html(<ErrorPage user={null} status={413} title="Too much data" message={message} />, 413);
}

/** Node's request, read up to `max` bytes; null (and the rest left unread) once it is larger. */
function readIncoming(incoming: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (settle: () => void) => {
      incoming.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // @hono/node-server drains (or closes) what is left once the 413 is sent.
        incoming.pause();
        chunks.length = 0;
        finish(() => resolve(null));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(chunks, size)));
    const onError = (e: Error) => finish(() => reject(e));
    const onClose = () => finish(() => reject(new Error("The client closed the request before its body ended.")));
    incoming.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  });
}

/** The web request's body (app.request, no Node server), read the same way. */
async function readWeb(body: ReadableStream<Uint8Array>, max: number): Promise<Buffer | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.length;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
}

/**
 * Reads every request body once, up to its route's limit (bodyLimitFor), before any handler: past the limit the
 * request is answered 413 without reading on. The body is then served from Hono's body cache, so handlers keep
 * using c.req.parseBody() and c.req.json(). It reads from Node's request directly: asking Hono for the web stream
 * made @hono/node-server build a whole web Request.
 */
export function limitBodies(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    const { max, streamed } = bodyLimitFor(method, c.req.path, c.req.header("content-type"));
    if (streamed) return next();
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > max) return tooLarge(c, max);
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    let body: Buffer | null;
    try {
      body = incoming ? await readIncoming(incoming, max) : c.req.raw.body ? await readWeb(c.req.raw.body, max) : Buffer.alloc(0);
    } catch {
      // The client went away mid-body: nobody reads the answer.
      return c.body(null, 400);
    }
    if (body === null) return tooLarge(c, max);
    const bytes = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    (c.req.bodyCache as { arrayBuffer?: Promise<ArrayBuffer> }).arrayBuffer = Promise.resolve(bytes);
    await next();
  };
}
