import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const source = readFileSync(new URL("../../public/track.js", import.meta.url), "utf8");

interface Sent {
  url: string;
  init: { method: string; keepalive: boolean; headers: Record<string, string>; body: string };
}

// Runs track.js in a fresh fake page; fetch records requests instead of sending them.
function loadPage(options: { src?: string; key?: string | null; storedEmail?: string; fetchFails?: boolean; noUuid?: boolean } = {}) {
  const sent: Sent[] = [];
  const warnings: unknown[][] = [];
  const store = new Map<string, string>(options.storedEmail ? [["roster:email", options.storedEmail]] : []);
  let uuid = 0;
  const window: Record<string, unknown> = {
    console: { warn: (...args: unknown[]) => void warnings.push(args) },
    crypto: options.noUuid ? { getRandomValues: (b: Uint8Array) => b.fill(7) } : { randomUUID: () => `uuid-${++uuid}` },
    localStorage: {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    },
  };
  const script =
    options.src === undefined
      ? { src: "https://roster.example/public/track.js", getAttribute: () => (options.key === undefined ? "rk_pub_abc" : options.key) }
      : { src: options.src, getAttribute: () => null };
  Object.assign(window, {
    window,
    document: { currentScript: script },
    URL,
    fetch: (url: string, init: Sent["init"]) => {
      sent.push({ url, init });
      if (options.fetchFails) return Promise.reject(new TypeError("Failed to fetch"));
      return Promise.resolve({ ok: true });
    },
  });
  vm.runInNewContext(source, window);
  const Roster = window.Roster as {
    init(o: { key?: string; endpoint?: string }): void;
    identify(email: unknown, contact?: object): void;
    track(type: string, properties?: object, options?: { id?: string; email?: string }): void;
    reset(): void;
  };
  return { Roster, sent, store, warnings, bodies: () => sent.map((s) => JSON.parse(s.init.body)) };
}

test("track posts to the script's origin with the key, an id and keepalive", () => {
  const { Roster, sent, bodies } = loadPage();
  Roster.track("page_view", { url: "https://shop.example/" }, { email: "ann@example.com" });
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.url, "https://roster.example/api/v1/events");
  assert.equal(sent[0]!.init.method, "POST");
  assert.equal(sent[0]!.init.keepalive, true);
  assert.equal(sent[0]!.init.headers.Authorization, "Bearer rk_pub_abc");
  assert.equal(sent[0]!.init.headers["Content-Type"], "application/json");
  assert.deepEqual(bodies(), [{ id: "uuid-1", type: "page_view", properties: { url: "https://shop.example/" }, email: "ann@example.com" }]);
});

test("events wait for identify, then go out with the email, contact and when they happened", () => {
  const { Roster, sent, bodies, store } = loadPage();
  Roster.track("product_search", { query: "desk" });
  Roster.track("page_view", { url: "https://shop.example/desks" }, { id: "my-id" });
  assert.equal(sent.length, 0);
  Roster.identify("  ann@example.com ", { first_name: "Ann" });
  Roster.track("purchase", { total: 1 });
  const b = bodies();
  assert.deepEqual(
    b.map((e) => [e.id, e.type, e.email, e.contact?.first_name]),
    [
      ["uuid-1", "product_search", "ann@example.com", "Ann"],
      ["my-id", "page_view", "ann@example.com", "Ann"],
      ["uuid-2", "purchase", "ann@example.com", "Ann"],
    ],
  );
  assert.match(b[0].occurred_at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(b[2].occurred_at, undefined);
  assert.equal(store.get("roster:email"), "ann@example.com");
});

test("a remembered email is used on the next page; reset forgets it", () => {
  const { Roster, bodies, store } = loadPage({ storedEmail: "bob@example.com" });
  Roster.track("page_view", { url: "https://shop.example/" });
  assert.equal(bodies()[0].email, "bob@example.com");
  Roster.reset();
  Roster.track("page_view", { url: "https://shop.example/" });
  assert.equal(bodies().length, 1);
  assert.equal(store.has("roster:email"), false);
});

test("without data-key, events wait for init({ key, endpoint })", () => {
  const { Roster, sent } = loadPage({ src: "", storedEmail: "ann@example.com" });
  Roster.track("form_submit", { form: "newsletter" });
  assert.equal(sent.length, 0);
  Roster.init({ key: "rk_pub_xyz", endpoint: "https://roster.example/some/path" });
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.url, "https://roster.example/api/v1/events");
  assert.equal(sent[0]!.init.headers.Authorization, "Bearer rk_pub_xyz");
});

test("never throws into the page: bad calls are ignored or warned about, failed sends dropped, and it keeps working", async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  t.after(() => void process.off("unhandledRejection", onUnhandled));
  const { Roster, sent, store, warnings, bodies } = loadPage({ fetchFails: true });
  Roster.identify(42);
  assert.equal(store.has("roster:email"), false, "an email that is not text is ignored");
  Roster.identify("ann@example.com", "not an object" as unknown as object);
  Roster.track("page_view", { url: "https://shop.example/" });
  assert.deepEqual(
    bodies().map((b) => [b.type, b.email, b.contact]),
    [["page_view", "ann@example.com", undefined]],
    "a contact that is not an object is left out",
  );
  Roster.init(null as unknown as object);
  Roster.init({ endpoint: "::not a url::" });
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  Roster.track("custom", circular);
  assert.deepEqual(
    warnings.map((w) => w[0]),
    ["[roster]", "[roster]"],
    "the bad endpoint and the unsendable event are warned about",
  );
  Roster.track("after", {});
  assert.deepEqual(
    sent.map((s) => s.url),
    ["https://roster.example/api/v1/events", "https://roster.example/api/v1/events"],
    "the endpoint is kept and sending goes on",
  );
  await new Promise((r) => setImmediate(r)); // the rejected fetches have settled
  assert.deepEqual(unhandled, [], "a failed fetch is caught, never an unhandled rejection");
});

test("falls back to getRandomValues for ids", () => {
  const { Roster, bodies } = loadPage({ noUuid: true });
  Roster.track("a", {}, { email: "a@b.co" });
  assert.equal(bodies()[0].id, "07".repeat(16));
});
