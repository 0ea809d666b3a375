// Refuses a request whose URL carries an encoded NUL (%00), answering 400 with the parameter's name.
import type { Context, MiddlewareHandler } from "hono";
import { ErrorPage } from "../../views/error";
import { hasNul } from "../text";
import { apiError, type AppEnv } from ".";

function refuse(c: Context<AppEnv>, where: string, field: string | null) {
  const message = `${where} contains a NUL character (%00), which Roster cannot store or search for.`;
  if (c.req.path.startsWith("/api/")) return apiError(c, 400, "invalid_parameter", message, field ? { field } : {});
  return c.html(<ErrorPage status={400} title="Bad request" message={message} />, 400);
}

/** Refuses a URL whose path or query holds an encoded NUL before any route reads it. */
export const refuseNulInUrl: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = new URL(c.req.url);
  if (/%00/.test(url.pathname)) return refuse(c, "The address", null);
  for (const [name, value] of url.searchParams) {
    if (hasNul(name) || hasNul(value)) return refuse(c, `The parameter ${JSON.stringify(name.replace(/\u0000/g, ""))}`, name.replace(/\u0000/g, ""));
  }
  await next();
};
