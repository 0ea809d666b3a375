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

/** One job's notice; an import that changed a segment carries Undo (a form posting the undo, which comes back to `back`). */
export function JobNoticeItem({ notice, back }: { notice: JobNotice; back: string }) {
  const { message, link } = text(notice);
  const download = notice.kind === "export" && notice.status === "completed";
  const undo = notice.undo;
  return (
    <div class={`notice job-notice${notice.status === "failed" ? " error" : ""}`} role="status" data-job-notice={notice.jobId}>
      <span>
        {message}{" "}
        <a href={notice.href} download={download ? true : undefined}>
          {link}
        </a>
      </span>
      {undo && (
        <form
          method="post"
          action={`/segments/${undo.segmentId}/change-sets/${undo.changeSetId}/undo?back=${encodeURIComponent(back)}`}
          class="job-notice-undo"
        >
          <button type="submit" class="secondary outline" aria-label={`Undo the import of ${notice.subject}`}>
            Undo
          </button>
        </form>
      )}
      <button type="button" class="link-button job-notice-close" data-dismiss-notice aria-label={`Dismiss: ${message} ${link}`}>
        Dismiss
      </button>
    </div>
  );
}

/**
 * The poll's answer: the notices, appended to the region, and the poll again in 3 s while one of the user's jobs
 * is queued or running; without one, an element with no trigger, so polling stops by itself.
 */
export function JobNoticesPoll({ notices, running, back }: { notices: JobNotice[]; running: boolean; back: string }) {
  return (
    <>
      {running ? (
        <div id="job-notices-poll" hx-get="/jobs/notices" hx-trigger="load delay:3s" hx-swap="outerHTML" data-polling="on"></div>
      ) : (
        <div id="job-notices-poll" data-polling="off"></div>
      )}
      {notices.length > 0 && (
        <hx-partial hx-target="#job-notices" hx-swap="beforeend">
          {notices.map((n) => (
            <JobNoticeItem notice={n} back={back} />
          ))}
        </hx-partial>
      )}
    </>
  );
}
