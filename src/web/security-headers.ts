// Headers every response carries (CSP, framing, sniffing, referrer; HSTS over https), whether a request came over https, and so whether cookies are Secure.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from ".";

/**
 * No inline script or style, no eval: scripts and stylesheets come from /public only (behaviour lives in
 * public/app.js as delegated listeners). htmx 4 adds its indicator rules through a constructed stylesheet, which
 * style-src does not govern, and runs no eval unless hx-on or js: values are used (Roster uses neither).
 * Pico's stylesheet draws its checkbox and select icons as data: SVGs.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
};

export const STRICT_TRANSPORT_SECURITY = "max-age=31536000";

/**
 * True when the browser reached Roster over https: the request's own URL, or X-Forwarded-Proto when TRUST_PROXY
 * says a proxy stands in front (without one, any client could send that header). The value is read like
 * X-Forwarded-For: the entry TRUST_PROXY places from the end, or the only one when a proxy overwrote it.
 */
export function isHttps(c: Context<AppEnv>): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  const trustProxy = c.get("deps").config.TRUST_PROXY;
  const forwarded = c.req.header("X-Forwarded-Proto");
  if (trustProxy === 0 || !forwarded) return false;
  const chain = forwarded
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return (chain[chain.length - trustProxy] ?? chain[0]) === "https";
}

/** Whether cookies get the Secure flag: SECURE_COOKIES, or with `auto` whether this request came over https. */
export function wantsSecureCookies(c: Context<AppEnv>): boolean {
  const mode = c.get("deps").config.SECURE_COOKIES;
  if (mode !== "auto") return mode === "on";
  return isHttps(c);
}

/** Sets the security headers on whatever response leaves the app, error pages and static files included. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const headers: Record<string, string> = { ...SECURITY_HEADERS };
    if (isHttps(c)) headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY;
    try {
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    } catch {
      // A response with immutable headers (one made by fetch or Response.redirect) is copied once.
      c.res = new Response(c.res.body, c.res);
      for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
    }
  };
}
