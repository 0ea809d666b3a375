import type { JobNotice } from "../../src/jobs/notices";

// "Export of Buyers 2026 is ready: Download": the notice shown when a job ends while its requester is elsewhere in
// Roster. A plain role=status box kept until dismissed (it carries an action); a shared toast can replace it.

/** The notice region every signed-in page carries, and the poll that fills it (see JobNoticesPoll). */
export function JobNoticesRegion() {
  return (
    <aside class="job-notices-region" aria-label="Your imports and exports">
      {/* A live region without a role while empty, so it is there before a notice comes (and is announced). */}
      <div id="job-notices" aria-live="polite"></div>
      <div id="job-notices-poll" hx-get="/jobs/notices" hx-trigger="load" hx-swap="outerHTML"></div>
    </aside>
  );
}

function text(n: JobNotice): { message: string; link: string } {
  if (n.kind === "export") {
    return n.status === "completed"
      ? { message: `Export of ${n.subject} is ready:`, link: "Download" }
      : { message: `Export of ${n.subject} failed${n.error ? `: ${n.error}` : "."}`, link: "See the export" };
  }
  return n.status === "completed"
    ? { message: `Import of ${n.subject} is done:`, link: "See the result" }
    : { message: `Import of ${n.subject} failed${n.error ? `: ${n.error}` : "."}`, link: "See the import" };
}

export function JobNoticeItem({ notice }: { notice: JobNotice }) {
  const { message, link } = text(notice);
  const download = notice.kind === "export" && notice.status === "completed";
  return (
    <div class={`notice job-notice${notice.status === "failed" ? " error" : ""}`} role="status" data-job-notice={notice.jobId}>
      <span>
        {message} <a href={notice.href} download={download ? true : undefined}>{link}</a>
      </span>
      <button type="button" class="link-button job-notice-close" data-dismiss-notice aria-label={`Dismiss: ${message} ${link}`}>Dismiss</button>
    </div>
  );
}

/**
 * The poll's answer: the notices, appended to the region, and the poll again in 3 s while one of the user's jobs
 * is queued or running; without one, an element with no trigger, so polling stops by itself.
 */
export function JobNoticesPoll({ notices, running }: { notices: JobNotice[]; running: boolean }) {
  return (
    <>
      {running ? (
        <div id="job-notices-poll" hx-get="/jobs/notices" hx-trigger="load delay:3s" hx-swap="outerHTML" data-polling="on"></div>
      ) : (
        <div id="job-notices-poll" data-polling="off"></div>
      )}
      {notices.length > 0 && (
        <hx-partial hx-target="#job-notices" hx-swap="beforeend">
          {notices.map((n) => <JobNoticeItem notice={n} />)}
        </hx-partial>
      )}
    </>
  );
}
