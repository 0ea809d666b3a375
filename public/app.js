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
