import type { StartSteps } from "../../src/start/checklist";

const STEPS: { key: keyof StartSteps; label: string; href: string; hint: string }[] = [
  { key: "segment", label: "Create a segment", href: "/segments/new", hint: "a named group of contacts, such as Spring buyers" },
  { key: "import", label: "Import contacts", href: "/imports/new", hint: "from a CSV file or pasted from a spreadsheet" },
  { key: "apiKey", label: "Create an API key for your shop", href: "/admin/api-keys", hint: "so the shop sends its contacts and events" },
  { key: "workflow", label: "Build a workflow", href: "/workflows/new", hint: "to add buyers to a segment as they buy" },
];

/** The first-run checklist on the contacts page (admins): each step links to where it is done and is ticked once it is. */
export function StartChecklist({ steps }: { steps: StartSteps }) {
  const done = STEPS.filter((s) => steps[s.key]).length;
  const all = done === STEPS.length;
  return (
    <section class="start-checklist" aria-labelledby="start-title">
      <header>
        <h2 id="start-title">{all ? "You are all set" : "Get started with Roster"}</h2>
        <p class="muted" data-testid="start-progress">
          {done} of {STEPS.length} steps done
        </p>
      </header>
      <ol>
        {STEPS.map((s) => (
          <li class={steps[s.key] ? "done" : undefined} data-step={s.key}>
            <span class="tick" aria-hidden="true">
              {steps[s.key] ? "✓" : ""}
            </span>
            <span>
              <a href={s.href}>{s.label}</a>
              <span class="visually-hidden">{steps[s.key] ? " (done)" : " (to do)"}</span>
              <small class="muted"> {s.hint}</small>
            </span>
          </li>
        ))}
      </ol>
      <form method="post" action="/start/hide" class="inline-form">
        <button type="submit" class="secondary outline">
          {all ? "Done: hide this list" : "Hide this list"}
        </button>
      </form>
    </section>
  );
}
