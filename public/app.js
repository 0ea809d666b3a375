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
