import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { keyFromLabel, parseCustomValues } from "../../src/custom-fields/queries";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("keys come from labels; values are checked by type", () => {
  assert.equal(keyFromLabel("Favourite colour"), "favourite_colour");
  assert.equal(keyFromLabel("  Größe (cm) "), "grosse_cm");
  assert.equal(keyFromLabel("2nd phone"), "f_2nd_phone");
  assert.equal(keyFromLabel("!!!"), "");
  const defs = [
    { id: 1, key: "n", label: "N", type: "number" as const, createdAt: new Date() },
    { id: 2, key: "d", label: "D", type: "date" as const, createdAt: new Date() },
    { id: 3, key: "b", label: "B", type: "boolean" as const, createdAt: new Date() },
  ];
  assert.deepEqual(parseCustomValues(defs, { n: "1,200.5", d: "2024-02-29", b: "false" }, "form"), {
    values: { n: 1200.5, d: "2024-02-29", b: false },
    errors: {},
  });
  const bad = parseCustomValues(defs, { n: "12", d: "2023-02-29", b: 1, x: "?" }, "json");
  assert.deepEqual(Object.keys(bad.errors).sort(), ["b", "d", "n", "x"], "JSON numbers must be numbers, dates real, booleans true/false, keys known");
});

test("an admin lists, adds and deletes fields (deleting removes the values); others are refused", async () => {
  const a = await t.createAccount();
  const empty = await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "", type: "text" } });
  assert.equal(empty.status, 422);
  assert.match(await empty.text(), /Enter a label/);
  const badType = await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "Size", type: "colour" } });
  assert.equal(badType.status, 422);
  assert.match(await badType.text(), /value="Size"/);

  const res = await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "Favourite colour", type: "text" } });
  assert.equal(res.status, 303);
  const dup = await t.browser(a.adminCookie, "/admin/custom-fields", { form: { label: "favourite COLOUR", type: "number" } });
  assert.equal(dup.status, 422);
  assert.match(await dup.text(), /already exists/);
  const page = await (await t.browser(a.adminCookie, "/admin/custom-fields")).text();
  assert.match(page, /<code>favourite_colour<\/code>/);

  const c = await t.api(a.apiKey, "/contacts", { json: { email: "ida@example.test", custom: { favourite_colour: "teal" } } });
  assert.deepEqual((await c.json()).custom, { favourite_colour: "teal" });
  const id = /action="\/admin\/custom-fields\/(\d+)\/delete"/.exec(page)![1];
  const del = await t.browser(a.adminCookie, `/admin/custom-fields/${id}/delete`, { form: {} });
  assert.equal(del.status, 303);
  assert.deepEqual((await (await t.api(a.apiKey, "/contacts/ida@example.test")).json()).custom, {});

  const editor = await a.userCookie("editor");
  assert.equal((await t.browser(editor, "/admin/custom-fields")).status, 403);
  assert.equal((await t.browser(editor, "/admin/custom-fields", { form: { label: "X", type: "text" } })).status, 403);
  const b = await t.createAccount();
  assert.equal((await t.browser(b.adminCookie, `/admin/custom-fields/${id}/delete`, { form: {} })).status, 404);
});
