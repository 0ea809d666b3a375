import type { SessionUser } from "../../src/auth/session";
import type { CustomFieldDef } from "../../src/custom-fields/queries";
import type { FieldErrors } from "../auth/pages";
import { Field } from "../components/field";
import { Layout } from "../layout";

/** Email, names, phone and the account's custom fields (each by its type), as the new and edit forms show them. */
export function ContactFields({ values, errors, customFields }: { values: Record<string, string>; errors: FieldErrors; customFields: CustomFieldDef[] }) {
  return (
    <>
      <Field label="Email" name="email" type="email" value={values.email} error={errors.email} required />
      <div class="grid">
        <Field label="First name" name="firstName" value={values.firstName} error={errors.firstName} />
        <Field label="Last name" name="lastName" value={values.lastName} error={errors.lastName} />
      </div>
      <Field label="Phone" name="phone" type="tel" value={values.phone} error={errors.phone} />
      {customFields.length > 0 && (
        <fieldset>
          <legend>Custom fields</legend>
          <div class="grid custom-grid">
            {customFields.map((f) => {
              const name = `custom.${f.key}`;
              const id = `f-custom-${f.key}`;
              const error = errors[name];
              if (f.type === "boolean") {
                return (
                  <div class="select-field">
                    <label for={id}>{f.label}</label>
                    <select id={id} name={name} aria-invalid={error ? "true" : undefined} aria-describedby={error ? `${id}-error` : undefined}>
                      <option value="" selected={!values[name]}>
                        Not set
                      </option>
                      <option value="true" selected={values[name] === "true"}>
                        Yes
                      </option>
                      <option value="false" selected={values[name] === "false"}>
                        No
                      </option>
                    </select>
                    {error && <small id={`${id}-error`}>{error}</small>}
                  </div>
                );
              }
              return (
                <Field
                  id={id}
                  label={f.label}
                  name={name}
                  type={f.type === "number" ? "text" : f.type === "date" ? "date" : "text"}
                  value={values[name]}
                  error={error}
                  hint={f.type === "number" ? "A number" : undefined}
                />
              );
            })}
          </div>
        </fieldset>
      )}
    </>
  );
}

export function NewContactPage({
  user,
  customFields,
  values = {},
  errors = {},
}: {
  user: SessionUser;
  customFields: CustomFieldDef[];
  values?: Record<string, string>;
  errors?: FieldErrors;
}) {
  return (
    <Layout title="Add contact" user={user} section="contacts">
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/contacts">Contacts</a>
          </li>
          <li>Add contact</li>
        </ul>
      </nav>
      <article class="form-card">
        <header>
          <h1>Add contact</h1>
        </header>
        <form method="post" action="/contacts">
          <ContactFields values={values} errors={errors} customFields={customFields} />
          <div class="form-buttons">
            <button type="submit">Save</button>
            <a href="/contacts" role="button" class="secondary outline">
              Cancel
            </a>
          </div>
        </form>
      </article>
    </Layout>
  );
}
