// A request's body as an upload: the Node stream to read it from, and how long an uploaded file is kept.
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Context } from "hono";
import type { UploadRequest } from "../imports/upload";
import type { AppEnv } from "./index";

/** The request body as a Node stream: the server's IncomingMessage when there is one (see UploadRequest). */
export function uploadRequest(c: Context<AppEnv>): UploadRequest {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return {
    header: (name) => c.req.header(name),
    body: () => incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import("node:stream/web").ReadableStream) : null),
  };
}

/** When a file uploaded now expires (IMPORT_TTL_DAYS). */
export function uploadExpiry(c: Context<AppEnv>): Date {
  return new Date(Date.now() + c.get("deps").config.IMPORT_TTL_DAYS * 86_400_000);
}
