import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateBatch, validateEvent, type EventValidation, type ValidationDetail } from "../../src/events/validate";

const now = new Date("2025-06-01T12:00:00Z");
const validate = (input: unknown) => validateEvent(input, { now });

function details(result: EventValidation): ValidationDetail[] {
  assert.equal(result.ok, false, "expected the event to be rejected");
  return result.ok ? [] : result.details;
}

function event(result: EventValidation) {
  assert.ok(result.ok, `expected a valid event, got ${JSON.stringify(result)}`);
  return result.event;
}

const base = { id: "evt-1", email: "ann@example.com" };

describe("validateEvent: purchase", () => {
  test("accepts a full purchase and normalizes it", () => {
    const e = event(
      validate({
        ...base,
        email: "  Ann@Example.com ",
        type: "purchase",
        contact: { first_name: " Ann ", last_name: "Lee", phone: "+33 6 12", vip: true, tier: "gold", score: 3, note: null },
        properties: {
          order_id: "o-42",
          total: 349.9,
          currency: "eur",
          coupon: "SUMMER",
          products: [
            { id: 17, name: "Standing desk", category: "Office Furniture", price: 299.9, quantity: 1 },
            { id: "mat-1", name: "Mat", price: 50 },
          ],
        },
        occurred_at: "2025-05-31T10:00:00+02:00",
      }),
    );
    assert.deepEqual(e, {
      id: "evt-1",
      type: "purchase",
      email: "Ann@Example.com",
      contact: { firstName: "Ann", lastName: "Lee", phone: "+33 6 12", custom: { vip: true, tier: "gold", score: 3, note: null } },
      properties: {
        order_id: "o-42",
        total: 349.9,
        currency: "EUR",
        coupon: "SUMMER",
        products: [
          { id: "17", name: "Standing desk", category: "Office Furniture", price: 299.9, quantity: 1 },
          { id: "mat-1", name: "Mat", price: 50, quantity: 1 },
        ],
      },
      occurredAt: new Date("2025-05-31T08:00:00Z"),
    });
  });

  test("reports every problem with its path", () => {
    assert.deepEqual(
      details(
        validate({
          id: "",
          type: "purchase",
          email: "not-an-email",
          properties: {
            total: "12",
            currency: "EURO",
            products: [
              { price: -1, quantity: 1.5 },
              { id: {}, name: "" },
            ],
          },
          occured_at: "2025-01-01T00:00:00Z",
        }),
      ),
      [
        { path: "id", message: "must not be empty" },
        { path: "email", message: "must be a valid email address" },
        { path: "occured_at", message: "is not a recognized field" },
        { path: "properties.order_id", message: "is required" },
        { path: "properties.total", message: "must be a number" },
        { path: "properties.currency", message: "must be a 3-letter currency code, like EUR" },
        { path: "properties.products[0].id", message: "is required" },
        { path: "properties.products[0].name", message: "is required" },
        { path: "properties.products[0].price", message: "must not be negative" },
        { path: "properties.products[0].quantity", message: "must be a whole number" },
        { path: "properties.products[1].id", message: "must be a string or a number" },
        { path: "properties.products[1].name", message: "must not be empty" },
      ],
    );
  });

  test("missing properties names each required purchase field", () => {
    assert.deepEqual(
      details(validate({ ...base, type: "purchase" })).map((d) => d.path),
      ["properties.order_id", "properties.total", "properties.currency"],
    );
  });
});

describe("validateEvent: product_search, page_view, form_submit", () => {
  test("product_search accepts a query with an optional product", () => {
    const e = event(
      validate({ ...base, type: "product_search", properties: { query: " desk ", product: { id: 3, name: "Desk", category: "Office Furniture" } } }),
    );
    assert.deepEqual(e.properties, { query: "desk", product: { id: "3", name: "Desk", category: "Office Furniture" } });
    assert.deepEqual(event(validate({ ...base, type: "product_search", properties: { query: "lamp" } })).properties, { query: "lamp" });
  });

  test("product_search rejects a missing query and a bad product", () => {
    assert.deepEqual(details(validate({ ...base, type: "product_search", properties: { product: { name: 5, category: ["x"] } } })), [
      { path: "properties.query", message: "is required" },
      { path: "properties.product.name", message: "must be a string" },
      { path: "properties.product.category", message: "must be a string" },
    ]);
  });

  test("page_view needs an http(s) url", () => {
    assert.deepEqual(event(validate({ ...base, type: "page_view", properties: { url: "https://shop.example/desks", category: "desks" } })).properties, {
      url: "https://shop.example/desks",
      category: "desks",
    });
    assert.deepEqual(details(validate({ ...base, type: "page_view", properties: { url: "javascript:alert(1)", category: 3 } })), [
      { path: "properties.url", message: "must be an http or https URL" },
      { path: "properties.category", message: "must be a string" },
    ]);
    assert.deepEqual(details(validate({ ...base, type: "page_view" })), [{ path: "properties.url", message: "is required" }]);
  });

  test("form_submit needs a form name", () => {
    assert.deepEqual(event(validate({ ...base, type: "form_submit", properties: { form: "newsletter", source: "footer" } })).properties, {
      form: "newsletter",
      source: "footer",
    });
    assert.deepEqual(details(validate({ ...base, type: "form_submit", properties: { form: "   " } })), [
      { path: "properties.form", message: "must not be empty" },
    ]);
  });
});

describe("validateEvent: custom types and common fields", () => {
  test("a custom type keeps free-form properties", () => {
    const props = { plan: "pro", seats: 3, nested: { a: [1, { b: null }] } };
    const e = event(validate({ ...base, type: "trial.started", properties: props }));
    assert.equal(e.type, "trial.started");
    assert.deepEqual(e.properties, props);
    assert.equal(e.contact, null);
    assert.deepEqual(e.occurredAt, now);
  });

  test("a custom type named like an Object method does not crash", () => {
    assert.equal(validate({ ...base, type: "constructor", properties: {} }).ok, true);
  });

  test("bad type name, properties not an object, bad contact values", () => {
    assert.deepEqual(details(validate({ ...base, type: "Signup Done", contact: { first_name: 3, vip: { x: 1 } }, properties: [1] })), [
      { path: "type", message: "must start with a lowercase letter and use only a-z, 0-9, _ . : - (max 64)" },
      { path: "contact.first_name", message: "must be a string" },
      { path: "contact.vip", message: "must be a string, number, boolean or null" },
      { path: "properties", message: "must be a JSON object" },
    ]);
  });

  test("required fields and a non-object body", () => {
    assert.deepEqual(details(validate({})), [
      { path: "id", message: "is required" },
      { path: "type", message: "is required" },
      { path: "email", message: "is required" },
    ]);
    assert.deepEqual(details(validate("hello")), [{ path: "", message: "must be a JSON object" }]);
    assert.deepEqual(details(validate({ ...base, id: "x".repeat(201), type: "a" })), [{ path: "id", message: "must be at most 200 characters" }]);
  });

  test("occurred_at: ISO with zone, at most 24 hours ahead, reported alongside other problems", () => {
    assert.deepEqual(event(validate({ ...base, type: "a", occurred_at: "2025-06-02T11:00:00Z" })).occurredAt, new Date("2025-06-02T11:00:00Z"));
    assert.deepEqual(details(validate({ ...base, type: "a", occurred_at: "2025-06-01 12:00" })), [
      { path: "occurred_at", message: "must be an ISO 8601 date-time with a time zone, like 2025-03-01T12:00:00Z" },
    ]);
    assert.deepEqual(details(validate({ id: "x", type: "a", email: "bad", occurred_at: "2025-06-03T12:00:00Z" })), [
      { path: "email", message: "must be a valid email address" },
      { path: "occurred_at", message: "must not be more than 24 hours in the future" },
    ]);
  });

  test("oversized properties are refused", () => {
    assert.deepEqual(details(validate({ ...base, type: "a", properties: { blob: "x".repeat(40_000) } })), [
      { path: "properties", message: "must be at most 32768 characters of JSON" },
    ]);
  });
});

describe("validateBatch", () => {
  test("accepts the good events and names the bad ones by index", () => {
    const result = validateBatch(
      {
        events: [
          { ...base, type: "form_submit", properties: { form: "newsletter" } },
          { ...base, id: "evt-2", type: "purchase", properties: { order_id: "o1", total: -5, currency: "EUR" } },
          "nope",
          { ...base, id: "evt-4", type: "page_view", properties: { url: "https://shop.example/" } },
        ],
      },
      { now },
    );
    assert.ok(result.ok);
    assert.deepEqual(
      result.results.map((r) => (r.ok ? { index: r.index, id: r.event.id } : { index: r.index, details: r.details })),
      [
        { index: 0, id: "evt-1" },
        { index: 1, details: [{ path: "events[1].properties.total", message: "must not be negative" }] },
        { index: 2, details: [{ path: "events[2]", message: "must be a JSON object" }] },
        { index: 3, id: "evt-4" },
      ],
    );
  });

  test("paths inside a batch event are prefixed", () => {
    const result = validateBatch(
      { events: [{ id: "a", type: "purchase", email: "a@b.co", properties: { order_id: "o", total: 1, currency: "EUR", products: [{ id: 1 }] } }] },
      { now },
    );
    assert.ok(result.ok);
    assert.deepEqual(result.results[0], { index: 0, ok: false, details: [{ path: "events[0].properties.products[0].name", message: "is required" }] });
  });

  test("more than 1,000 events is one error; exactly 1,000 is fine", () => {
    const one = { ...base, type: "a" };
    assert.deepEqual(validateBatch({ events: Array(1001).fill(one) }, { now }), {
      ok: false,
      details: [{ path: "events", message: "has 1001 events; a batch holds at most 1,000" }],
    });
    const full = validateBatch({ events: Array(1000).fill(one) }, { now });
    assert.ok(full.ok);
    assert.equal(full.results.filter((r) => r.ok).length, 1000);
  });

  test("malformed batches", () => {
    assert.deepEqual(validateBatch([], { now }), { ok: false, details: [{ path: "", message: "must be a JSON object with an events array" }] });
    assert.deepEqual(validateBatch({}, { now }), { ok: false, details: [{ path: "events", message: "is required" }] });
    assert.deepEqual(validateBatch({ events: {} }, { now }), { ok: false, details: [{ path: "events", message: "must be an array" }] });
    assert.deepEqual(validateBatch({ events: [] }, { now }), { ok: false, details: [{ path: "events", message: "must contain at least one event" }] });
    assert.deepEqual(validateBatch({ events: [{}], extra: 1 }, { now }), { ok: false, details: [{ path: "extra", message: "is not a recognized field" }] });
  });
});
