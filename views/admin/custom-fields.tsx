import type { SessionUser } from "../../src/auth/session";
import type { CustomFieldDef } from "../../src/custom-fields/queries";
import { CUSTOM_FIELD_TYPE_LABELS } from "../../src/custom-fields/labels";
import { CUSTOM_FIELD_TYPES } from "../../src/db/schema";
import type { FieldErrors } from "../auth/pages";
import { Field } from "../components/field";
import { Layout } from "../layout";
import type { Notice } from "../../src/web/flash";

export function CustomFieldsPage({
  user,
  fields,
  values = {},
  errors = {},
  notice,
}: {
  user: SessionUser;
  fields: CustomFieldDef[];
  values?: Record<string, string>;
  errors?: FieldErrors;
  notice?: Notice | null;
}) {
  return (
    <Layout title="Custom fields" user={user} section="admin" notice={notice}>
      <div class="page-head">
        <h1>Custom fields</h1>
      </div>
      <p class="muted">Fields every contact can have besides email, names and phone. Imports and the API address them by key.</p>
      {fields.length === 0 ? (
        <p class="empty-state">No custom fields yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Key</th>
                <th scope="col">Type</th>
                <th scope="col" class="actions">
                  Actions
                </th>
              </tr>
            </thead>
            <tbody>
              {fields.map((f) => (
                <tr>
                  <td class="card-title">{f.label}</td>
                  <td data-label="Key">
                    <code>{f.key}</code>
                  </td>
                  <td data-label="Type">{CUSTOM_FIELD_TYPE_LABELS[f.type]}</td>
                  <td class="actions">
                    <form
                      method="post"
                      action={`/admin/custom-fields/${f.id}/delete`}
                      data-confirm={`Delete the field ${f.label}? Every contact's value for it is deleted too.`}
                    >
                      <button type="submit" class="secondary outline" aria-label={`Delete ${f.label}`}>
                        Delete
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <article>
        <header>
          <h2>Add a field</h2>
        </header>
        <form method="post" action="/admin/custom-fields">
          <div class="grid">
            <Field
              label="Label"
              name="label"
              value={values.label}
              error={errors.label}
              required
              hint="The key is made from it: “Favourite colour” becomes favourite_colour."
            />
            <div class="select-field">
              <label for="f-type">Type</label>
              <select id="f-type" name="type" aria-invalid={errors.type ? "true" : undefined}>
                {CUSTOM_FIELD_TYPES.map((t) => (
                  <option value={t} selected={t === (values.type ?? "text")}>
                    {CUSTOM_FIELD_TYPE_LABELS[t]}
                  </option>
                ))}
              </select>
              {errors.type && <small>{errors.type}</small>}
            </div>
          </div>
          <button type="submit">Add field</button>
        </form>
      </article>
    </Layout>
  );
}
