// The first-run checklist's one action: hiding it in this browser.
import { Hono } from "hono";
import { requireRole, type AppEnv } from "../web";
import { hideStartChecklist } from "./checklist";

export const startRoutes = new Hono<AppEnv>().use(requireRole("viewer")).post("/hide", (c) => {
  hideStartChecklist(c);
  return c.redirect("/contacts", 303);
});
