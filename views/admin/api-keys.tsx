import type { SessionUser } from "../../src/auth/session";
import type { ApiKeyScope } from "../../src/db/schema";
import { Layout } from "../layout";
import { Field } from "../components/field";
import type { FieldErrors } from "../auth/pages";

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  allowedOrigins: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function when(d: Date | null) {
  return d ? d.toISOString().slice(0, 16).replace("T", " ") : "never";
}

export function ApiKeysPage({
  user,
  keys,
  created,
  values = {},
  errors = {},
}: {
  user: SessionUser;
  keys: ApiKeyRow[];
  created?: { name: string; key: string };
  values?: Record<string, string>;
  errors?: FieldErrors;
}) {
  return (
    <Layout title="API keys" user={user} section="admin">
      <div class="page-head">
        <h1>API keys</h1>
      </div>
      {created && (
        <div class="notice" role="status">
          <p>
            <strong>Key "{created.name}" created.</strong> Copy it now: it is not shown again.
          </p>
          <p class="secret" data-testid="new-api-key">
            {created.key}
          </p>
        </div>
      )}
      <p class="muted">
        Programs call the HTTP API at <code>/api/v1</code> with <code>Authorization: Bearer &lt;key&gt;</code>. A full key acts as an editor of this account. A
        send-only key can only send events, from the origins listed, and is safe to put in a shop's pages with <code>/public/track.js</code>. Anyone can copy it
        from those pages, so the contact fields its events carry only create a contact or fill fields that are empty: they never change a stored name, phone or
        custom value. Events sent with a full key update contacts as given.
      </p>
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Kind</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col" class="actions">
                Actions
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.length === 0 && (
              <tr>
                <td colspan={7} class="muted">
                  No API keys yet.
                </td>
              </tr>
            )}
            {keys.map((k) => (
              <tr>
                <td class="card-title">{k.name}</td>
                <td data-label="Key">
                  <code>{k.prefix}…</code>
                </td>
                <td data-label="Kind">{k.scope === "send" ? `send-only (${k.allowedOrigins.join(", ") || "any origin"})` : "full"}</td>
                <td data-label="Created">{when(k.createdAt)}</td>
                <td data-label="Last used">{when(k.lastUsedAt)}</td>
                <td data-label="Status">
                  <span class={`badge ${k.revokedAt ? "inactive" : "active"}`}>{k.revokedAt ? "revoked" : "active"}</span>
                </td>
                <td class="actions">
                  {!k.revokedAt && (
                    <form method="post" action={`/admin/api-keys/${k.id}/revoke`}>
                      <button type="submit" class="secondary outline">
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <article>
        <header>
          <h2>Create an API key</h2>
        </header>
        <form method="post" action="/admin/api-keys">
          <div class="grid">
            <Field label="Name" name="name" value={values.name} error={errors.name} required placeholder="e.g. Shop backend" />
            <div>
              <label for="f-scope">Kind</label>
              <select id="f-scope" name="scope">
                <option value="full" selected={values.scope !== "send"}>
                  Full: the whole API, as an editor
                </option>
                <option value="send" selected={values.scope === "send"}>
                  Send-only: events from a web page
                </option>
              </select>
            </div>
          </div>
          <Field
            label="Allowed origins (send-only keys)"
            name="origins"
            value={values.origins}
            error={errors.origins}
            placeholder="https://shop.example.com, https://www.shop.example.com"
            hint="Comma-separated. Browsers on other sites cannot use the key."
          />
          <button type="submit">Create key</button>
        </form>
      </article>
    </Layout>
  );
}
