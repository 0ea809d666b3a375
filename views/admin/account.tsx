import type { SessionUser } from "../../src/auth/session";
import { Layout } from "../layout";

export interface AccountSettingsProps {
  user: SessionUser;
  defaultCountry: string;
  countries: { code: string; name: string; callingCode: string }[];
  error?: string;
  notice?: string;
}

/** Admin > Account: the account's default country, in which phone numbers written without a country code are read. */
export function AccountSettingsPage({ user, defaultCountry, countries, error, notice }: AccountSettingsProps) {
  return (
    <Layout title="Account" user={user} section="admin">
      <div class="page-head">
        <h1>Account</h1>
      </div>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <article>
        <header>
          <h2>Phone numbers</h2>
        </header>
        <form method="post" action="/admin/account">
          <label for="default-country">
            Default country for phone numbers
            <select
              id="default-country"
              name="defaultCountry"
              required
              aria-invalid={error ? "true" : undefined}
              aria-describedby={error ? "default-country-error" : "default-country-hint"}
            >
              {countries.map((c) => (
                <option value={c.code} selected={c.code === defaultCountry}>{`${c.name} (+${c.callingCode})`}</option>
              ))}
            </select>
            {error ? (
              <small id="default-country-error">{error}</small>
            ) : (
              <small id="default-country-hint">
                A phone number written without its country code (600 12 34 56) is read as a number of this country, in forms, the API and imports. Numbers are
                stored in international form (+34600123456).
              </small>
            )}
          </label>
          <button type="submit">Save</button>
        </form>
      </article>
    </Layout>
  );
}
