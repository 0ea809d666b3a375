import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import type { SessionUser } from "../src/auth/session";
import { hasRole } from "../src/auth/roles";
import type { Notice } from "../src/web/flash";
import { ToastRegion } from "./components/toast";
import { JobNoticesRegion } from "./components/job-notice";

export interface LayoutProps {
  title: string;
  user?: SessionUser | null;
  /** Which top-level menu is current, for aria-current. */
  section?: "contacts" | "workflows" | "imports" | "exports" | "admin" | "account";
  /** The flash notice this page shows once (src/web/flash.ts `takeFlash`). */
  notice?: Notice | null;
  children?: Child;
}

/** The whole page: head, navigation by role, and the main column. Every full page renders through it. */
export function Layout({ title, user, section, notice, children }: LayoutProps) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light" />
          <meta name="htmx-config" content='{"defaultTimeout": 120000}' />
          <title>{`${title} · Roster`}</title>
          <link rel="icon" href="/public/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/public/vendor/pico.min.css" />
          <link rel="stylesheet" href="/public/app.css" />
          <script src="/public/vendor/htmx.min.js" defer></script>
          <script src="/public/app.js" defer></script>
        </head>
        <body>
          <a href="#main" class="skip-link">
            Skip to content
          </a>
          <header class="container site-header">
            <Nav user={user ?? null} section={section} />
          </header>
          <main id="main" class="container" tabindex={-1}>
            <ToastRegion notice={notice} />
            {children}
          </main>
          {user && <JobNoticesRegion />}
          <footer class="container site-footer">
            <small>Roster · segments for marketing teams</small>
          </footer>
        </body>
      </html>
    </>
  );
}

function Nav({ user, section }: { user: SessionUser | null; section?: LayoutProps["section"] }) {
  const current = (s: LayoutProps["section"]) => (s === section ? { "aria-current": "page" as const } : {});
  return (
    <nav>
      <ul>
        <li>
          <a href="/" class="brand">
            <strong>Roster</strong>
          </a>
        </li>
      </ul>
      {user && (
        <ul class="menu">
          <li>
            <details class="dropdown">
              <summary {...current("contacts")}>Contacts</summary>
              <ul>
                <li>
                  <a href="/contacts">See all</a>
                </li>
                <li>
                  <a href="/segments">Segments</a>
                </li>
                {hasRole(user.role, "editor") && (
                  <li>
                    <a href="/imports/new">Import</a>
                  </li>
                )}
                {hasRole(user.role, "editor") && (
                  <li>
                    <a href="/exports/new">Export</a>
                  </li>
                )}
              </ul>
            </details>
          </li>
          {hasRole(user.role, "editor") && (
            <li>
              <a href="/workflows" {...current("workflows")}>
                Workflows
              </a>
            </li>
          )}
          {hasRole(user.role, "editor") && (
            <li>
              <a href="/imports" {...current("imports")}>
                Imports
              </a>
            </li>
          )}
          {hasRole(user.role, "editor") && (
            <li>
              <a href="/exports" {...current("exports")}>
                Exports
              </a>
            </li>
          )}
          {hasRole(user.role, "admin") && (
            <li>
              <details class="dropdown">
                <summary {...current("admin")}>Admin</summary>
                <ul dir="rtl">
                  <li>
                    <a href="/admin/account">Account</a>
                  </li>
                  <li>
                    <a href="/admin/users">Users</a>
                  </li>
                  <li>
                    <a href="/admin/custom-fields">Custom fields</a>
                  </li>
                  <li>
                    <a href="/admin/api-keys">API keys</a>
                  </li>
                </ul>
              </details>
            </li>
          )}
          <li>
            <details class="dropdown">
              <summary {...current("account")}>{user.name || user.email}</summary>
              <ul dir="rtl">
                <li>
                  <span class="muted">
                    {user.accountName} · {user.role}
                  </span>
                </li>
                <li>
                  <a href="/account/password">Change password</a>
                </li>
                <li>
                  <form method="post" action="/sign-out" class="inline-form">
                    <button type="submit" class="link-button">
                      Sign out
                    </button>
                  </form>
                </li>
              </ul>
            </details>
          </li>
        </ul>
      )}
    </nav>
  );
}
