import type { SessionUser } from "../src/auth/session";
import { Layout } from "./layout";

export function ErrorPage({ user, status, title, message }: { user?: SessionUser | null; status: number; title: string; message: string }) {
  return (
    <Layout title={title} user={user}>
      <article class="error-page">
        <header>
          <h1>{title}</h1>
        </header>
        <p>{message}</p>
        <footer>
          <a href="/" role="button" class="secondary">
            Go to the start page
          </a>
          <small class="muted"> Error {status}</small>
        </footer>
      </article>
    </Layout>
  );
}

export function ForbiddenPage({ user }: { user?: SessionUser | null }) {
  return <ErrorPage user={user} status={403} title="Not allowed" message="Your role does not allow this. Ask an admin of your account if you need it." />;
}

export function NotFoundPage({ user }: { user?: SessionUser | null }) {
  return <ErrorPage user={user} status={404} title="Not found" message="There is nothing here, or it belongs to another account." />;
}
