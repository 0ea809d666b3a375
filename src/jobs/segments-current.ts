// The worker's frequent pass over segments: dynamic segments refreshed when their inputs may have changed, then
// the workflows started by entering or leaving a segment run on the membership changes since their last run.
import type { Db } from "../db/client";
import { logError } from "../log";
import { refreshDueSegments } from "../segments/refresh";
import { runSegmentTriggers } from "../workflows/segment-triggers";

/** One pass; a failure is logged and the next pass tries again (each step records its own progress). */
export async function keepSegmentsCurrent(db: Db): Promise<{ refreshed: number; workflowsRun: number }> {
  let refreshed = 0;
  let workflowsRun = 0;
  try {
    refreshed = await refreshDueSegments(db);
  } catch (e) {
    logError("refreshing dynamic segments failed", e);
  }
  try {
    workflowsRun = await runSegmentTriggers(db);
  } catch (e) {
    logError("running segment-triggered workflows failed", e);
  }
  return { refreshed, workflowsRun };
}
