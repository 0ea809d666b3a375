import type { SessionUser } from "../../src/auth/session";
import type { DraftGroup } from "../../src/conditions/form";
import { ConditionsBuilder, type BuilderCustomField } from "../conditions/builder";
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
          {/* Choosing the type redraws the conditions part below (without JavaScript, Save shows it). */}
          <select
            id="f-type"
            name="type"
            aria-describedby="f-type-hint"
            aria-invalid={errors.type ? "true" : undefined}
            hx-get="/segments/new"
            hx-trigger="change"
            hx-include="closest form"
            hx-target="#segment-conditions-part"
            hx-select="#segment-conditions-part"
            hx-swap="outerHTML"
          >
            <option value="static" selected={values.type !== "dynamic"}>
              Static segment
            </option>
            <option value="dynamic" selected={values.type === "dynamic"}>
              Dynamic segment
            </option>
          </select>
          <small id="f-type-hint">
            {errors.type ??
              (values.type === "dynamic"
                ? "A dynamic segment holds the contacts its conditions match, kept current as contacts and events change. Its type cannot be changed later."
                : "A static segment holds the contacts you put in it, by hand, by import, by workflow or through the API. Its type cannot be changed later.")}
          </small>
        </div>
      )}
      <Field label="Segment Name" name="name" value={values.name} error={errors.name} required hint="Unique in your account (capital letters do not count)." />
      <label for="f-description">
        Description
        <textarea
          id="f-description"
          name="description"
          rows={3}
          aria-invalid={errors.description ? "true" : undefined}
          aria-describedby={errors.description ? "f-description-error" : "f-description-hint"}
        >
          {values.description ?? ""}
        </textarea>
        {errors.description ? (
          <small id="f-description-error">{errors.description}</small>
        ) : (
          <small id="f-description-hint">Optional: what the segment is for.</small>
        )}
      </label>
    </>
  );
}

/** The builder's content on a segment form: the draft, the account's choices, and errors by input name. */
export interface SegmentBuilder {
  draft: DraftGroup;
  segments: { id: number; name: string }[];
  customFields: BuilderCustomField[];
  errors?: Record<string, string>;
}

export const BUILDER_PREFIX = "c";

/** The conditions of a dynamic segment: the builder with its live count (views/conditions/builder.tsx). */
export function SegmentConditionsPart({ builder, error }: { builder: SegmentBuilder | null; error?: string }) {
  return (
    <div id="segment-conditions-part">
      {builder && error && (
        <p class="notice error" role="alert" id="conditions-error">
          {error}
        </p>
      )}
      {builder && (
        <ConditionsBuilder
          draft={builder.draft}
          prefix={BUILDER_PREFIX}
          segments={builder.segments}
          customFields={builder.customFields}
          errors={builder.errors}
          builderUrl="/conditions/builder"
          previewUrl="/conditions/preview"
          legend="Contacts for which"
        />
      )}
    </div>
  );
}

export function NewSegmentPage({
  user,
  values = {},
  errors = {},
  builder = null,
}: {
  user: SessionUser;
  values?: Record<string, string>;
  errors?: FieldErrors;
  builder?: SegmentBuilder | null;
}) {
  return (
    <Layout title="Create new segment" user={user} section="contacts">
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/segments">Segments</a>
          </li>
          <li>Create new segment</li>
        </ul>
      </nav>
      <article class={values.type === "dynamic" ? "form-card wide" : "form-card"}>
        <header>
          <h1>Create new segment</h1>
        </header>
        <form method="post" action="/segments">
          <SegmentFields values={values} errors={errors} withType />
          <SegmentConditionsPart builder={values.type === "dynamic" ? builder : null} error={errors.conditions} />
          <div class="form-buttons">
            <button type="submit">Save</button>
            <a href="/segments" role="button" class="secondary outline">
              Cancel
            </a>
          </div>
        </form>
      </article>
    </Layout>
  );
}

/** Edit a dynamic segment's conditions: the builder with its live count, Save refreshes the members at once. */
export function EditConditionsPage({
  user,
  segment,
  builder,
  error,
}: {
  user: SessionUser;
  segment: { id: number; name: string };
  builder: SegmentBuilder;
  error?: string;
}) {
  return (
    <Layout title={`${segment.name}: conditions`} user={user} section="contacts">
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/segments">Segments</a>
          </li>
          <li>
            <a href={`/segments/${segment.id}`}>{segment.name}</a>
          </li>
        </ul>
      </nav>
      <article class="form-card wide">
        <header>
          <h1>Conditions of {segment.name}</h1>
        </header>
        <form method="post" action={`/segments/${segment.id}/conditions`}>
          <SegmentConditionsPart builder={builder} error={error} />
          <div class="form-buttons">
            <button type="submit">Save</button>
            <a href={`/segments/${segment.id}`} role="button" class="secondary outline">
              Cancel
            </a>
          </div>
        </form>
      </article>
    </Layout>
  );
}
