// What each kind of job records in jobs.result: its handler returns it (or passes it to completeJob), its pages read it.
import type { ExportResult } from "../exports/run";
import type { ImportProgress, ImportResult } from "../imports/run";

export interface JobResults {
  export: ExportResult;
  import: ImportResult;
  /** The dry run: the same counts as the import would make, with examples. */
  import_preview: ImportResult;
}

export type JobKind = keyof JobResults;

/** A completed job's result, of whichever kind. */
export type JobResult = JobResults[JobKind];

/** What a running job's progress reports add to its result before it completes. */
export type JobPartialResult = ImportProgress;
