// Which function runs each kind of job. A capability adds its kind here.
import { runExportJob } from "../exports/run";
import { runImportJob, runImportPreviewJob } from "../imports/run";
import type { JobHandler } from "./handler";
import type { JobKind } from "./results";

const handlers = {
  export: runExportJob,
  import: runImportJob,
  import_preview: runImportPreviewJob,
} satisfies { [K in JobKind]: JobHandler<K> };

/** Each kind's handler, which returns that kind's result (src/jobs/results.ts). */
export const jobHandlers: Record<string, JobHandler> = handlers;
