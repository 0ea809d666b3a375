// Periodic work the worker runs about once a minute: expired files and what points at them, and events whose
// workflows never ran because the process stopped in between, and flash notices nobody came back for.
import type { Db } from "../db/client";
import { expireExports } from "../exports/queries";
import { purgeExpiredFiles } from "../files/store";
import { purgeExpiredFlashes } from "../web/flash";
import { recoverEvaluations } from "../workflows/recover";

export async function runMaintenance(db: Db, now: Date = new Date()): Promise<void> {
  // Exports first: they let go of the files about to be purged and become "expired".
  await expireExports(db, now);
  await purgeExpiredFiles(db, now);
  await recoverEvaluations(db);
  await purgeExpiredFlashes(db, now);
}
