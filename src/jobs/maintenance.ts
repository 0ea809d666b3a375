// Periodic clean-up the worker runs about once a minute: expired files and what points at them.
import type { Db } from "../db/client";
import { purgeExpiredFiles } from "../files/store";

export async function runMaintenance(db: Db): Promise<void> {
  await purgeExpiredFiles(db);
}
