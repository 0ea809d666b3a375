// The layout's job notice poll (GET /jobs/notices): the signed-in user's imports and exports that just ended.
import { Hono } from "hono";
import { JobNoticesPoll } from "../../views/components/job-notice";
import type { AppEnv } from "../web";
import { takeJobNotices } from "./notices";

export const jobRoutes = new Hono<AppEnv>().get("/notices", async (c) => {
  const user = c.get("user");
  // Signed out meanwhile (session expired): stop polling quietly rather than swap a sign-in page into the layout.
  const { notices, running } = user ? await takeJobNotices(c.get("db"), user.accountId, user.id) : { notices: [], running: false };
  c.header("Cache-Control", "no-store");
  return c.html(<JobNoticesPoll notices={notices} running={running} />);
});
