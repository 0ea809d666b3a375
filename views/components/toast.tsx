import type { Notice } from "../../src/web/flash";

/**
 * One notice as a toast. Props: `notice` ({ text, tone?: "success" | "warning" | "error", action?: { label, href, method? } }).
 * An action with `method: "post"` (Undo) is a button in a form posting to `href`, never a link.
 *
 * Without JavaScript it is a plain box at the top of the page. With public/app.js it floats at the page's corner,
 * has a Dismiss button (Escape dismisses it too while focus is inside), and one without an action or an error
 * fades after some seconds unless hovered or focused; one with an action (Undo, Download) stays until dismissed.
 *
 * To show a toast without a reload (a job that finished, a fragment's result), render it into the layout's
 * `#toasts` region: `<hx-partial hx-target="#toasts" hx-swap="beforeend"><Toast notice={...} /></hx-partial>`,
 * or insert its HTML there from a script; app.js arms toasts added after load as well.
 */
export function Toast({ notice }: { notice: Notice }) {
  const stays = notice.action !== undefined || notice.tone === "error";
  const tone = notice.tone && notice.tone !== "success" ? ` ${notice.tone}` : "";
  const post = notice.action?.method === "post" ? notice.action : null;
  return (
    <div class={`notice toast${tone}`} role="status" data-toast={stays ? "stay" : "fade"}>
      <p>
        {notice.text}
        {notice.action && !post && (
          <>
            {" "}
            <a href={notice.action.href} class="toast-action">
              {notice.action.label}
            </a>
          </>
        )}
      </p>
      {post && (
        <form method="post" action={post.href} class="toast-action-form">
          <button type="submit" class="toast-action">
            {post.label}
          </button>
        </form>
      )}
      <button type="button" class="toast-close" data-dismiss-toast aria-label="Dismiss this notice">
        ×
      </button>
    </div>
  );
}

/** The layout's region for toasts: the page's flash notice, and any a script or a fragment adds later. */
export function ToastRegion({ notice }: { notice?: Notice | null }) {
  return (
    <div id="toasts" class="toasts">
      {notice && <Toast notice={notice} />}
    </div>
  );
}
