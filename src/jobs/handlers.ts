// Which function runs each kind of job. A capability adds its kind here.
import { runExportJob } from "../exports/run";
import { runImportJob, runImportPreviewJob } from "../imports/run";
import type { JobHandler } from "./handler";

export const jobHandlers: Record<string, JobHandler> = {
  export: runExportJob,
  import: runImportJob,
  import_preview: runImportPreviewJob,
};
