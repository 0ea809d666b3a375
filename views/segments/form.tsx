import type { SessionUser } from "../../src/auth/session";
import type { FieldErrors } from "../auth/pages";
import { Field } from "../components/field";
import { Layout } from "../layout";

/** The segment fields, shared by "Create new segment" and the segment page's edit form. */
export function SegmentFields({ values, errors, withType }: { values: Record<string, string>; errors: FieldErrors; withType: boolean }) {
  return (
    <>
      {withType && (
        <div class="select-field">
          <label for="f-type">Type</label>
          <select id="f-type" name="type" aria-describedby="f-type-hint" aria-invalid={errors.type ? "true" : undefined}>
            <option value="static" selected>Static segment</option>
          </select>
          <small id="f-type-hint">{errors.type ?? "A static segment holds the contacts you put in it, by hand, by import, by workflow or through the API. It is not configured by conditions."}</small>
        </div>
      )}
      <Field label="Segment Name" name="name" value={values.name} error={errors.name} required hint="Unique in your account (capital letters do not count)." />
      <label for="f-description">
        Description
        <textarea id="f-description" name="description" rows={3} aria-invalid={errors.description ? "true" : undefined} aria-describedby={errors.description ? "f-description-error" : "f-description-hint"}>
          {values.description ?? ""}
        </textarea>
        {errors.description ? <small id="f-description-error">{errors.description}</small> : <small id="f-description-hint">Optional: what the segment is for.</small>}
      </label>
    </>
  );
}

export function NewSegmentPage({ user, values = {}, errors = {} }: { user: SessionUser; values?: Record<string, string>; errors?: FieldErrors }) {
  return (
    <Layout title="Create new segment" user={user} section="contacts">
      <nav aria-label="breadcrumb">
        <ul>
          <li><a href="/segments">Segments</a></li>
          <li>Create new segment</li>
        </ul>
      </nav>
      <article class="form-card">
        <header><h1>Create new segment</h1></header>
        <form method="post" action="/segments">
          <SegmentFields values={values} errors={errors} withType />
          <div class="form-buttons">
            <button type="submit">Save</button>
            <a href="/segments" role="button" class="secondary outline">Cancel</a>
          </div>
        </form>
      </article>
    </Layout>
  );
}
