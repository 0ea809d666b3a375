// Small enhancements on top of server-rendered pages; every page works without this file.
document.documentElement.classList.add("js");

// Ticks on a list: the bulk form keeps the set of ticked ids in its hidden `data-kept-ids` field, so a redraw of the
// rows (a search, another page, another sort) never loses them; rows drawn again come back ticked. "Select this
// page" in a table header checks or clears the row checkboxes of the same form, and shows itself as partly checked
// when only some rows are. Delegated, so tables swapped in by htmx work too.
function keptIds(form) {
  const field = document.querySelector(`#${CSS.escape(form)} [data-kept-ids]`);
  return { field, ids: new Set(field && field.value ? field.value.split(",") : []) };
}

function showSelection(form) {
  const { field, ids } = keptIds(form);
  const rows = [...document.querySelectorAll(`input[type=checkbox][name=ids][form="${CSS.escape(form)}"]`)];
  if (field) for (const row of rows) row.checked = ids.has(row.value);
  const page = document.querySelector(`input[type=checkbox][data-select-page][form="${CSS.escape(form)}"]`);
  const checked = rows.filter((r) => r.checked).length;
  if (page) {
    page.checked = rows.length > 0 && checked === rows.length;
    page.indeterminate = checked > 0 && checked < rows.length;
  }
  const count = document.querySelector(`#${CSS.escape(form)} [data-selected-count]`);
  if (count) count.textContent = ids.size ? `${ids.size.toLocaleString("en-US")} ticked` : "";
}

document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
  const form = box.getAttribute("form");
  if (!form) return;
  const rows = [...document.querySelectorAll(`input[type=checkbox][name=ids][form="${CSS.escape(form)}"]`)];
  const page = document.querySelector(`input[type=checkbox][data-select-page][form="${CSS.escape(form)}"]`);
  if (box === page) for (const row of rows) row.checked = box.checked;
  else if (box.name !== "ids") return;
  const { field, ids } = keptIds(form);
  if (field) {
    for (const row of box === page ? rows : [box]) {
      if (row.checked) ids.add(row.value);
      else ids.delete(row.value);
    }
    field.value = [...ids].join(",");
  }
  showSelection(form);
});

document.addEventListener("htmx:after:swap", () => {
  for (const field of document.querySelectorAll("[data-kept-ids]")) if (field.form && field.form.id) showSelection(field.form.id);
  // A confirmation drawn in place takes the focus, so keyboard and screen reader users meet the question.
  const autofocus = document.querySelector("[data-autofocus]");
  if (autofocus instanceof HTMLElement && document.activeElement !== autofocus) autofocus.focus();
});

// Coming back to a list (back button, bfcache) shows the ticks the browser restored in the hidden field.
window.addEventListener("pageshow", () => {
  for (const field of document.querySelectorAll("[data-kept-ids]")) if (field.form && field.form.id) showSelection(field.form.id);
});

// `data-dismiss="id"` on a button empties the element with that id (an inline confirmation's Cancel), and gives the
// focus back to the form it was asked from.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-dismiss]") : null;
  if (!button) return;
  const box = document.getElementById(button.getAttribute("data-dismiss"));
  if (!box) return;
  const back = box.previousElementSibling;
  box.replaceChildren();
  const focusable = back && back.querySelector("button, select, input:not([type=hidden])");
  if (focusable instanceof HTMLElement) focusable.focus();
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

// `data-focus-checks="name=value"` on a field: typing in it or choosing in it checks the radio button of its form
// with that name and value (typing a new segment's name chooses "A new segment"). Not on focus: tabbing through a
// field on the way to another must not change the choice.
const checkRadioFor = (event) => {
  const field = event.target;
  if (!(field instanceof HTMLElement) || !field.dataset.focusChecks || !("form" in field) || !field.form) return;
  const [name, value] = field.dataset.focusChecks.split("=");
  const radio = field.form.querySelector(`input[type=radio][name="${CSS.escape(name)}"][value="${CSS.escape(value ?? "")}"]`);
  if (radio instanceof HTMLInputElement && !radio.disabled) radio.checked = true;
};
document.addEventListener("input", checkRadioFor);
document.addEventListener("change", checkRadioFor);

// Menus (<details class="dropdown"> in the header): Escape closes the open one (any open <details> too) and returns
// focus to its button; ArrowDown/ArrowUp (and Home/End) move between its items, ArrowDown on the button opens it; a
// click or focus elsewhere closes it.
const menuItems = (menu) => [...menu.querySelectorAll("summary + ul a[href], summary + ul button:not([disabled])")];
document.addEventListener("keydown", (event) => {
  const open = event.target instanceof Element ? event.target.closest("details[open]") : null;
  if (event.key === "Escape" && open) {
    event.preventDefault();
    open.open = false;
    open.querySelector("summary")?.focus();
    return;
  }
  const menu = event.target instanceof Element ? event.target.closest("details.dropdown") : null;
  if (!menu) return;
  if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
  const items = menuItems(menu);
  if (items.length === 0) return;
  event.preventDefault();
  menu.open = true;
  const at = items.indexOf(document.activeElement);
  const next =
    event.key === "Home"
      ? 0
      : event.key === "End"
        ? items.length - 1
        : event.key === "ArrowDown"
          ? (at + 1) % items.length
          : at <= 0
            ? items.length - 1
            : at - 1;
  items[next].focus();
});
const closeMenusOutside = (target) => {
  for (const menu of document.querySelectorAll("details.dropdown[open]")) {
    if (!(target instanceof Node) || !menu.contains(target)) menu.open = false;
  }
};
document.addEventListener("click", (event) => closeMenusOutside(event.target));
document.addEventListener("focusin", (event) => closeMenusOutside(event.target));

// A swap that replaces the focused control (a wizard's Next, a node's Update) would drop the focus to the page's
// start: it goes to the first control of the element that came back with the same id instead.
let focusHome = null;
document.addEventListener("htmx:before:swap", () => {
  const active = document.activeElement;
  focusHome = active && active !== document.body ? (active.closest("[id]")?.id ?? null) : null;
});
document.addEventListener("htmx:after:settle", () => {
  const home = focusHome && document.getElementById(focusHome);
  focusHome = null;
  if (!home || (document.activeElement && document.activeElement !== document.body)) return;
  const first = home.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea, button:not([disabled]), a[href]");
  (first ?? home).focus();
});

// The workflow editor's node forms remember that they were edited. Save and Activate (`data-flush-nodes`) first
// send each edited node through its own route, as its Update button would, so nothing typed is lost; a node the
// server refuses comes back with its errors, focused, and the save stops there.
for (const type of ["input", "change"]) {
  document.addEventListener(type, (event) => {
    const node = event.target instanceof Element ? event.target.closest("form.wf-node") : null;
    if (node) node.dataset.edited = "1";
  });
}
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !("flushNodes" in form.dataset) || event.defaultPrevented) return;
  const edited = [...document.querySelectorAll("form.wf-node[data-edited]")];
  if (edited.length === 0) return;
  event.preventDefault();
  for (const node of edited) {
    const res = await fetch(node.action, { method: "POST", body: new FormData(node), headers: { "HX-Request": "true" } });
    if (res.status === 422) {
      const template = document.createElement("template");
      template.innerHTML = await res.text();
      const fresh = template.content.querySelector("form");
      if (fresh) {
        node.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        fresh.querySelector("[aria-invalid=true]")?.focus();
      }
      return;
    }
    if (!res.ok) return form.submit(); // the page that follows says what went wrong
    delete node.dataset.edited;
  }
  form.submit();
});

// Toasts (views/components/toast.tsx): a Dismiss button, Escape while focus is inside, and for plain notices a fade
// after some seconds, paused while the pointer or focus is on the toast. Notices with an action stay until dismissed.
const TOAST_SECONDS = 8;

function dismissToast(toast) {
  toast.remove();
}

function armToasts() {
  for (const toast of document.querySelectorAll(".toast[data-toast=fade]:not([data-armed])")) {
    toast.dataset.armed = "";
    let left = TOAST_SECONDS * 1000;
    let started = Date.now();
    let timer = setTimeout(() => dismissToast(toast), left);
    const pause = () => {
      clearTimeout(timer);
      left -= Date.now() - started;
    };
    const resume = () => {
      if (toast.matches(":hover") || toast.contains(document.activeElement)) return;
      started = Date.now();
      timer = setTimeout(() => dismissToast(toast), Math.max(left, 2000));
    };
    toast.addEventListener("mouseenter", pause);
    toast.addEventListener("focusin", pause);
    toast.addEventListener("mouseleave", resume);
    toast.addEventListener("focusout", () => setTimeout(resume));
  }
}

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-dismiss-toast]") : null;
  const toast = button?.closest(".toast");
  if (toast) dismissToast(toast);
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !(document.activeElement instanceof Element)) return;
  const toast = document.activeElement.closest(".toast");
  if (toast) dismissToast(toast);
});
document.addEventListener("htmx:after:swap", armToasts);
armToasts();

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
