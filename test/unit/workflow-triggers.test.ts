import assert from "node:assert/strict";
import { test } from "node:test";
import { validateEvent } from "../../src/events/validate";
import { eventTypeForTrigger, suggestedPathsForTrigger, TRIGGERS, triggerForEventType, validateTrigger } from "../../src/workflows/triggers";

test("the editor lists every trigger with its label, in order", () => {
  assert.deepEqual(
    TRIGGERS.map((t) => [t.kind, t.label]),
    [
      ["purchase", "When buying"],
      ["product_search", "When searching"],
      ["page_view", "When visiting a page"],
      ["form_submit", "When submitting a form"],
      ["custom", "When a custom event happens"],
      ["segment_entered", "When entering a segment"],
      ["segment_left", "When leaving a segment"],
    ],
  );
});

test("eventTypeForTrigger", () => {
  assert.equal(eventTypeForTrigger("purchase"), "purchase");
  assert.equal(eventTypeForTrigger("product_search", "ignored"), "product_search");
  assert.equal(eventTypeForTrigger("page_view"), "page_view");
  assert.equal(eventTypeForTrigger("form_submit"), "form_submit");
  assert.equal(eventTypeForTrigger("custom", " trial.started "), "trial.started");
  assert.equal(eventTypeForTrigger("custom"), null);
  assert.equal(eventTypeForTrigger("custom", "Trial Started"), null);
  assert.equal(eventTypeForTrigger("custom", "purchase"), null);
});

test("triggerForEventType is the inverse", () => {
  for (const t of TRIGGERS.filter((t) => t.eventType)) assert.equal(triggerForEventType(eventTypeForTrigger(t.kind)!), t.kind);
  assert.equal(triggerForEventType("trial.started"), "custom");
});

test("suggested paths", () => {
  assert.deepEqual(suggestedPathsForTrigger("purchase").slice(0, 5), ["total", "currency", "order_id", "products.category", "products.name"]);
  assert.deepEqual(suggestedPathsForTrigger("product_search").slice(0, 3), ["query", "product.name", "product.category"]);
  assert.deepEqual(suggestedPathsForTrigger("page_view"), ["url", "category"]);
  assert.deepEqual(suggestedPathsForTrigger("form_submit"), ["form"]);
  assert.deepEqual(suggestedPathsForTrigger("custom"), []);
});

test("every suggested path exists on a valid event of that type", () => {
  const samples: Record<string, unknown> = {
    purchase: { order_id: "o", total: 1, currency: "EUR", products: [{ id: 1, name: "n", category: "c", price: 1, quantity: 1 }] },
    product_search: { query: "q", product: { id: 1, name: "n", category: "c" } },
    page_view: { url: "https://x.example/", category: "c" },
    form_submit: { form: "f" },
  };
  for (const t of TRIGGERS.filter((t) => t.eventType)) {
    const r = validateEvent({ id: "1", type: t.eventType, email: "a@b.co", properties: samples[t.eventType!] });
    assert.ok(r.ok);
    for (const path of t.suggestedPaths) {
      const value = path.split(".").reduce<unknown>((v, k) => (Array.isArray(v) ? v[0] : v)?.[k as never], r.event.properties);
      assert.notEqual(value, undefined, `${t.kind}: ${path}`);
    }
  }
});

test("validateTrigger", () => {
  assert.deepEqual(validateTrigger({ trigger: "segment_entered" }), { segmentId: "Choose the segment" });
  assert.deepEqual(validateTrigger({ trigger: "segment_left", segmentId: 4 }, new Set([3])), { segmentId: "This segment no longer exists: choose another" });
  assert.deepEqual(validateTrigger({ trigger: "segment_left", segmentId: 3 }, new Set([3])), {});
  assert.deepEqual(validateTrigger({ trigger: "purchase" }), {});
  assert.deepEqual(validateTrigger({ trigger: "custom", customType: "trial.started" }), {});
  assert.deepEqual(validateTrigger({}), { trigger: "Choose when the workflow starts" });
  assert.deepEqual(validateTrigger({ trigger: "custom", customType: " " }), { customType: "Enter the event name your site sends, like newsletter_signup" });
  assert.deepEqual(validateTrigger({ trigger: "custom", customType: "page_view" }), {
    customType: '"page_view" is a built-in event: choose "When visiting a page" instead',
  });
  assert.deepEqual(validateTrigger({ trigger: "custom", customType: "Trial!" }), {
    customType: "Start with a lowercase letter and use only a-z, 0-9, _ . : - (at most 64 characters)",
  });
});
