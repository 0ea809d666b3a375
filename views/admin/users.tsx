import type { SessionUser } from "../../src/auth/session";
import { ROLES, type Role } from "../../src/db/schema";
import { Layout } from "../layout";
import { Field } from "../components/field";
import type { FieldErrors } from "../auth/pages";
import type { Notice } from "../../src/web/flash";

export interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  createdAt: Date;
}

const ROLE_HELP: Record<Role, string> = {
  admin: "everything, users and API keys",
  editor: "contacts, segments, imports, workflows, exports",
  viewer: "read-only contacts and segments",
};

export function UsersPage({
  user,
  users,
  values = {},
  errors = {},
  notice,
}: {
  user: SessionUser;
  users: UserRow[];
  values?: Record<string, string>;
  errors?: FieldErrors;
  notice?: Notice | null;
}) {
  return (
    <Layout title="Users" user={user} section="admin" notice={notice}>
      <div class="page-head">
        <h1>Users</h1>
      </div>
      <div class="table-wrap">
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col" class="actions">
                Actions
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr>
                <td class="card-title">{u.name}</td>
                <td data-label="Email">{u.email}</td>
                <td data-label="Role">
                  {u.id === user.id ? (
                    u.role
                  ) : (
                    <form method="post" action={`/admin/users/${u.id}/role`} class="inline-form role-form">
                      <label for={`role-${u.id}`} class="visually-hidden">
                        Role of {u.email}
                      </label>
                      <select id={`role-${u.id}`} name="role" aria-label={`Role of ${u.email}`}>
                        {ROLES.map((r) => (
                          <option value={r} selected={r === u.role}>
                            {r}
                          </option>
                        ))}
                      </select>
                      <button type="submit" class="secondary">
                        Change role
                      </button>
                    </form>
                  )}
                </td>
                <td data-label="Status">
                  <span class={`badge ${u.active ? "active" : "inactive"}`}>{u.active ? "active" : "deactivated"}</span>
                </td>
                <td class="actions">
                  {u.id !== user.id && (
                    <form method="post" action={`/admin/users/${u.id}/${u.active ? "deactivate" : "activate"}`}>
                      <button type="submit" class={u.active ? "secondary outline" : "secondary"}>
                        {u.active ? "Deactivate" : "Reactivate"}
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
          <h2>Add a user</h2>
        </header>
        <form method="post" action="/admin/users">
          <div class="grid">
            <Field label="Name" name="name" value={values.name} error={errors.name} required />
            <Field label="Email" name="email" type="email" value={values.email} error={errors.email} required />
          </div>
          <div class="grid">
            <div>
              <label for="f-role">Role</label>
              <select id="f-role" name="role" aria-invalid={errors.role ? "true" : undefined}>
                {ROLES.map((r) => (
                  <option value={r} selected={r === (values.role ?? "editor")}>{`${r}: ${ROLE_HELP[r]}`}</option>
                ))}
              </select>
            </div>
            <Field
              label="Initial password"
              name="password"
              type="password"
              error={errors.password}
              required
              autocomplete="new-password"
              hint="At least 8 characters; they can change it after signing in."
            />
          </div>
          <button type="submit">Add user</button>
        </form>
      </article>
    </Layout>
  );
}
