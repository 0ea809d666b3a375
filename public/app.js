// Small enhancements on top of server-rendered pages; every page works without this file.
document.documentElement.classList.add("js");

// "Select this page" in a table header: checks or clears the row checkboxes of the same form, and shows
// itself as partly checked when only some rows are. Delegated, so tables swapped in by htmx work too.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
  const form = box.getAttribute("form");
  if (!form) return;
  const rows = [...document.querySelectorAll(`input[type=checkbox][name=ids][form="${CSS.escape(form)}"]`)];
  const page = document.querySelector(`input[type=checkbox][data-select-page][form="${CSS.escape(form)}"]`);
  if (box === page) {
    for (const row of rows) row.checked = box.checked;
  } else if (page && box.name === "ids") {
    const checked = rows.filter((r) => r.checked).length;
    page.checked = checked === rows.length;
    page.indeterminate = checked > 0 && checked < rows.length;
  }
});

// `data-confirm` on a form asks before it is sent. Listening in the capture phase runs it before any handler
// on the form itself (htmx's included), so a refusal stops the submission everywhere.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

// `data-focus-checks="name=value"` on a field: focusing it checks the radio button of its form with that name and
// value (typing a new segment's name chooses "A new segment").
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLElement) || !field.dataset.focusChecks || !("form" in field) || !field.form) return;
  const [name, value] = field.dataset.focusChecks.split("=");
  const radio = field.form.querySelector(`input[type=radio][name="${CSS.escape(name)}"][value="${CSS.escape(value ?? "")}"]`);
  if (radio instanceof HTMLInputElement && !radio.disabled) radio.checked = true;
});

// `data-dismiss-notice` on a button removes the notice it sits in.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-dismiss-notice]") : null;
  if (button) button.closest(".notice")?.remove();
});

// `data-upload-progress` on a file form: sent with XMLHttpRequest so the page shows bytes sent, percent and time
// left, with a Cancel button that aborts the upload. Without this script the form posts as usual.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-progress") || event.defaultPrevented) return;
  const box = form.querySelector("[data-upload-box]");
  const bar = box?.querySelector("progress");
  const figures = form.querySelector("[data-upload-figures]");
  const status = form.querySelector("[data-upload-status]");
  const cancel = form.querySelector("[data-upload-cancel]");
  const submit = form.querySelector("button[type=submit]");
  if (!box || !bar || !figures || !status || !cancel) return;
  event.preventDefault();
  const file = form.querySelector("input[type=file]")?.files?.[0];
  const xhr = new XMLHttpRequest();
  const started = performance.now();
  const finish = (message) => {
    box.hidden = true;
    if (submit) submit.disabled = false;
    status.textContent = message;
    cancel.removeEventListener("click", abort);
  };
  const abort = () => xhr.abort();
  xhr.open("POST", form.action);
  xhr.upload.addEventListener("progress", (e) => {
    if (!e.lengthComputable) return;
    const percent = Math.floor((e.loaded / e.total) * 100);
    const seconds = (performance.now() - started) / 1000;
    const left = e.loaded > 0 && seconds > 0.2 ? ((e.total - e.loaded) * seconds) / e.loaded : null;
    bar.value = percent;
    figures.textContent = `${formatSize(e.loaded)} of ${formatSize(e.total)} sent · ${percent}%${left === null ? "" : ` · ${formatLeft(left)}`}`;
  });
  xhr.upload.addEventListener("load", () => {
    bar.removeAttribute("value");
    figures.textContent = "Uploaded. Roster is reading the file…";
    cancel.hidden = true;
  });
  xhr.addEventListener("load", () => {
    // Success is a redirect to the new import, which the request followed: go there.
    if (xhr.status < 400 && xhr.responseURL && new URL(xhr.responseURL).pathname !== new URL(form.action).pathname) {
      window.location.assign(xhr.responseURL);
      return;
    }
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const problem = page.querySelector("main [role=alert]")?.textContent?.trim();
    finish(problem || `The upload failed (HTTP ${xhr.status}). Try again.`);
  });
  xhr.addEventListener("error", () => finish("The upload failed: the connection was lost. Try again."));
  xhr.addEventListener("abort", () => finish("Upload cancelled. Nothing was sent to Roster."));
  cancel.addEventListener("click", abort);
  cancel.hidden = false;
  box.hidden = false;
  bar.value = 0;
  figures.textContent = file ? `0 B of ${formatSize(file.size)} sent · 0%` : "Starting the upload…";
  status.textContent = file ? `Uploading ${file.name}…` : "Uploading…";
  if (submit) submit.disabled = true;
  xhr.send(new FormData(form));
});

function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

function formatLeft(seconds) {
  if (seconds < 5) return "a few seconds left";
  if (seconds < 90) return `about ${Math.round(seconds / 5) * 5} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}
