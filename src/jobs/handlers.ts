// Which function runs each kind of job. A capability adds its kind here.
import type { JobHandler } from "./worker";

export const jobHandlers: Record<string, JobHandler> = {};
