// The layout's job notice poll (GET /jobs/notices): the signed-in user's imports and exports that just ended.
import { Hono } from "hono";
import { JobNoticesPoll } from "../../views/components/job-notice";
import type { AppEnv } from "../web";
import { takeJobNotices } from "./notices";
import { safeNextPath } from "../web/safe-path";

/** The page that polls (htmx sends its address), as a path of this site: where an Undo in a notice comes back to. */
function pathOf(url: string | undefined): string {
  try {
    const u = new URL(url ?? "", "http://x");
    return safeNextPath(`${u.pathname}${u.search}`, "/");
  } catch {
    return "/";
  }
}

/** The export or import whose page polls (htmx sends the page's address), if it is one. */
function pageOf(url: string | undefined): { exportId?: number; importId?: number } {
  let path = "";
  try {
    path = new URL(url ?? "", "http://x").pathname;
  } catch {
    return {};
  }
  const m = /^\/(exports|imports)\/(\d{1,15})$/.exec(path);
  if (!m) return {};
  return m[1] === "exports" ? { exportId: Number(m[2]) } : { importId: Number(m[2]) };
}

export const jobRoutes = new Hono<AppEnv>().get("/notices", async (c) => {
  const user = c.get("user");
  // Signed out meanwhile (session expired): stop polling quietly rather than swap a sign-in page into the layout.
  const { notices, running } = user
    ? await takeJobNotices(c.get("db"), user.accountId, user.id, pageOf(c.req.header("HX-Current-URL")))
    : { notices: [], running: false };
  c.header("Cache-Control", "no-store");
  return c.html(<JobNoticesPoll notices={notices} running={running} back={pathOf(c.req.header("HX-Current-URL"))} />);
});
