import type { SessionUser } from "../../src/auth/session";
import { Layout } from "../layout";
import { Field } from "../components/field";
import type { Notice } from "../../src/web/flash";

export type FieldErrors = Record<string, string | undefined>;

export function SetupPage({ values = {}, errors = {} }: { values?: Record<string, string>; errors?: FieldErrors }) {
  return (
    <Layout title="Set up Roster">
      <article class="auth-card">
        <header>
          <h1>Set up Roster</h1>
          <p class="muted">Create your company's account and its first admin. You can add more users afterwards.</p>
        </header>
        {errors.form && (
          <p class="notice error" role="alert">
            {errors.form}
          </p>
        )}
        <form method="post" action="/setup">
          <Field label="Company name" name="accountName" value={values.accountName} error={errors.accountName} required autocomplete="organization" />
          <Field label="Your name" name="name" value={values.name} error={errors.name} required autocomplete="name" />
          <Field label="Email" name="email" type="email" value={values.email} error={errors.email} required autocomplete="email" />
          <Field label="Password" name="password" type="password" error={errors.password} required autocomplete="new-password" hint="At least 8 characters." />
          <button type="submit">Create account</button>
        </form>
      </article>
    </Layout>
  );
}

export function SignInPage({ email = "", next = "", error, notice }: { email?: string; next?: string; error?: string; notice?: Notice | null }) {
  return (
    <Layout title="Sign in" notice={notice}>
      <article class="auth-card">
        <header>
          <h1>Sign in</h1>
        </header>
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <form method="post" action="/sign-in">
          <input type="hidden" name="next" value={next} />
          <Field label="Email" name="email" type="email" value={email} required autocomplete="username" />
          <Field label="Password" name="password" type="password" required autocomplete="current-password" />
          <button type="submit">Sign in</button>
        </form>
      </article>
    </Layout>
  );
}

export function ChangePasswordPage({ user, errors = {} }: { user: SessionUser; errors?: FieldErrors }) {
  return (
    <Layout title="Change password" user={user} section="account">
      <article class="auth-card">
        <header>
          <h1>Change password</h1>
          <p class="muted">Changing your password signs you out everywhere, this browser included.</p>
        </header>
        <form method="post" action="/account/password">
          <Field label="Current password" name="current" type="password" error={errors.current} required autocomplete="current-password" />
          <Field
            label="New password"
            name="password"
            type="password"
            error={errors.password}
            required
            autocomplete="new-password"
            hint="At least 8 characters."
          />
          <button type="submit">Change password</button>
        </form>
      </article>
    </Layout>
  );
}
