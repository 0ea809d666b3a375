import type { RecentEvent } from "../../src/events/queries";

const TYPE_LABELS: Record<string, string> = {
  purchase: "Bought",
  product_search: "Searched",
  page_view: "Visited a page",
  form_submit: "Submitted a form",
};

function when(d: Date): string {
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** The few properties that say what happened, for one line per event. */
export function summarizeEvent(type: string, p: Record<string, unknown>): string {
  const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");
  switch (type) {
    case "purchase": {
      const products = Array.isArray(p.products) ? p.products.map((x) => str((x as Record<string, unknown>)?.name)).filter(Boolean) : [];
      return [`${str(p.total)} ${str(p.currency)}`.trim(), products.join(", "), p.order_id ? `order ${str(p.order_id)}` : ""].filter(Boolean).join(" · ");
    }
    case "product_search": {
      const product = (p.product ?? {}) as Record<string, unknown>;
      return [`"${str(p.query)}"`, str(product.name), str(product.category)].filter((s) => s && s !== '""').join(" · ");
    }
    case "page_view":
      return [str(p.url), str(p.category)].filter(Boolean).join(" · ");
    case "form_submit":
      return str(p.form);
    default: {
      const json = JSON.stringify(p);
      return json === "{}" ? "" : json.length > 160 ? `${json.slice(0, 157)}…` : json;
    }
  }
}

/** A contact's recent events (from listRecentEvents), for the contact page. */
export function RecentEvents({ events }: { events: RecentEvent[] }) {
  return (
    <section id="recent-events" aria-labelledby="recent-events-title">
      <h2 id="recent-events-title">Recent events</h2>
      {events.length === 0 ? (
        <p class="muted">No events yet. Events sent to the API with this contact's email show here.</p>
      ) : (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr>
                  <td class="nowrap" data-label="When">
                    {when(e.occurredAt)}
                  </td>
                  <td class="card-title">{TYPE_LABELS[e.type] ?? <code>{e.type}</code>}</td>
                  <td class="event-props" data-label="Details">
                    {summarizeEvent(e.type, e.properties)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
