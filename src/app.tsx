// createApp: the middleware and the route table. Every URL of Roster is mounted here, with who may use it.
import { Hono } from "hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { compress } from "hono/compress";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { sql } from "drizzle-orm";
import { ErrorPage, NotFoundPage } from "../views/error";
import { adminRoutes } from "./admin/routes";
import { accountExists } from "./auth/accounts";
import { validateApiKey } from "./auth/api-keys";
import { authRoutes, loadSession } from "./auth/routes";
import { contactApi } from "./contacts/api";
import { contactRoutes } from "./contacts/routes";
import { conditionRoutes } from "./conditions/routes";
import { customFieldRoutes } from "./custom-fields/routes";
import { changeSetApi, segmentApi } from "./segments/api";
import { segmentRoutes } from "./segments/routes";
import { eventsApi } from "./events/api";
import { importApi } from "./imports/api";
import { importRoutes } from "./imports/routes";
import { exportApi } from "./exports/api";
import { exportRoutes } from "./exports/routes";
import { jobRoutes } from "./jobs/routes";
import { workflowRoutes } from "./workflows/routes";
import { startRoutes } from "./start/routes";
import { refuseNulInUrl } from "./web/refuse-nul";
import { isNulRejection } from "./text";
import { logError } from "./log";
import { securityHeaders } from "./web/security-headers";
import { limitBodies } from "./web/body-limit";
import { actorFromApiKey, apiError, validationFailed, type AppEnv, type Deps } from "./web";

/** Paths a send-only (browser) key may call; every other API path refuses it. */
const SEND_ONLY_PATHS = new Set(["/api/v1/events", "/api/v1/events/batch"]);

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  const quiet = deps.config.LOG_LEVEL === "silent";

  app.use(async (c, next) => {
    const started = performance.now();
    c.set("deps", deps);
    c.set("db", deps.database.db);
    await next();
    if (!quiet) {
      const ms = (performance.now() - started).toFixed(1);
      console.log(`${c.req.method} ${new URL(c.req.url).pathname} ${c.res.status} ${ms}ms`);
    }
  });

  app.use(securityHeaders());
  // Pages, stylesheets and scripts only: downloads stream with their Content-Length, and the events API's small
  // JSON answers are not worth the CPU.
  app.use(compress({ contentTypeFilter: /^(text\/(html|css|javascript)|application\/javascript)\b/i }));
  // Every body is limited by its route (src/web/body-limit.tsx), before authentication reads anything.
  app.use(limitBodies());
  // After the headers, so that a refusal carries them too.
  app.use(refuseNulInUrl);

  app.use(
    "/public/*",
    serveStatic({
      root: "./",
      onFound: (_path, c) => {
        c.header("Cache-Control", "public, max-age=300");
      },
    }),
  );

  // Pages link /public/favicon.svg; a browser showing a download or an API answer still asks for /favicon.ico.
  app.get("/favicon.ico", (c) => c.redirect("/public/favicon.svg", 301));

  app.get("/healthz", async (c) => {
    try {
      await c.get("db").execute(sql`select 1`);
      return c.json({ status: "ok", database: deps.database.embedded ? "embedded" : "external" });
    } catch (e) {
      return c.json({ status: "unavailable", error: (e as Error).message }, 503);
    }
  });

  // The HTTP API: Bearer keys only (no cookies, so no cross-site request can use a session here).
  const api = new Hono<AppEnv>();
  api.use(async (c, next) => {
    // Browsers ask before sending a Bearer header cross-site. The preflight carries no key, so it is answered for
    // any origin; the real request is then checked against the send-only key's allowed origins below.
    const origin = c.req.header("Origin");
    if (c.req.method === "OPTIONS" && SEND_ONLY_PATHS.has(c.req.path)) {
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": origin ?? "*",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
        Vary: "Origin",
      });
    }
    const header = c.req.header("Authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return apiError(c, 401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.");
    const key = await validateApiKey(c.get("db"), match[1]!);
    if (!key) return apiError(c, 401, "unauthorized", "This API key is unknown or has been revoked.");
    if (key.scope === "send" && !(c.req.method === "POST" && SEND_ONLY_PATHS.has(c.req.path))) {
      return apiError(c, 403, "forbidden", "This is a send-only key: it can only send events.");
    }
    // A send-only key lives in a shop's pages: a browser on another site may not use it. No Origin header means
    // no browser (a server's own request), which the key's secrecy does not protect anyway.
    const corsOrigin = key.scope === "send" && origin ? origin : null;
    if (corsOrigin && key.allowedOrigins.length > 0 && !key.allowedOrigins.includes(corsOrigin)) {
      return apiError(c, 403, "forbidden", `This key may only be used from ${key.allowedOrigins.join(", ")}.`, { former_code: "origin_not_allowed" });
    }
    c.set("apiKey", key);
    c.set("actor", actorFromApiKey(key));
    await next();
    if (corsOrigin) {
      c.header("Access-Control-Allow-Origin", corsOrigin);
      c.header("Vary", "Origin");
    }
  });
  api.route("/events", eventsApi);
  api.route("/exports", exportApi);
  api.route("/imports", importApi);
  api.route("/segments", segmentApi);
  api.route("/change-sets", changeSetApi);
  api.route("/contacts", contactApi);
  api.notFound((c) => apiError(c, 404, "not_found", "No such resource."));
  app.route("/api/v1", api);

  // HTML: cross-site form posts are refused; every page knows who is signed in.
  app.use(csrf());
  app.use(async (c, next) => {
    await loadSession(c);
    await next();
  });

  app.get("/", async (c) => {
    if (!(await accountExists(c.get("db")))) return c.redirect("/setup", 303);
    if (!c.get("user")) return c.redirect("/sign-in", 303);
    return c.redirect("/contacts", 303);
  });
  app.route("/", authRoutes);
  app.route("/contacts", contactRoutes);
  app.route("/conditions", conditionRoutes);
  app.route("/segments", segmentRoutes);
  app.route("/admin/custom-fields", customFieldRoutes);
  app.route("/admin", adminRoutes);
  app.route("/imports", importRoutes);
  app.route("/workflows", workflowRoutes);
  app.route("/exports", exportRoutes);
  app.route("/start", startRoutes);
  app.route("/jobs", jobRoutes);

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/")) return apiError(c, 404, "not_found", "No such resource.");
    return c.html(<NotFoundPage user={c.get("user")} />, 404);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      if (err.status === 403)
        return c.html(
          <ErrorPage
            user={c.get("user")}
            status={403}
            title="Request refused"
            message="This form was sent from another site, so Roster refused it. Reload the page and try again."
          />,
          403,
        );
      return err.getResponse();
    }
    if (isNulRejection(err)) {
      const message = "The request contains a NUL character (U+0000), which Roster cannot store.";
      if (c.req.path.startsWith("/api/")) return validationFailed(c, [{ path: "", message }], { former_code: "invalid_text" });
      return c.html(<ErrorPage user={c.get("user")} status={400} title="Bad request" message={message} />, 400);
    }
    logError(`${c.req.method} ${c.req.path} failed`, err);
    if (c.req.path.startsWith("/api/")) return apiError(c, 500, "internal", "Something went wrong on our side.");
    return c.html(
      <ErrorPage
        user={c.get("user")}
        status={500}
        title="Something went wrong"
        message="The error was logged. Try again, and tell your admin if it keeps happening."
      />,
      500,
    );
  });
  return { app, api };
}
