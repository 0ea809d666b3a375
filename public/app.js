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

// `data-focus-checks="name=value"` on a field: focusing it checks the radio button of its form with that name and
// value (typing a new segment's name chooses "A new segment").
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLElement) || !field.dataset.focusChecks || !("form" in field) || !field.form) return;
  const [name, value] = field.dataset.focusChecks.split("=");
  const radio = field.form.querySelector(`input[type=radio][name="${CSS.escape(name)}"][value="${CSS.escape(value ?? "")}"]`);
  if (radio instanceof HTMLInputElement && !radio.disabled) radio.checked = true;
});
