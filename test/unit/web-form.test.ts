import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { readForm } from "../../src/web/form";

const app = new Hono().post("/", async (c) => c.json(await readForm(c)));

test("readForm gives a form's text fields as strings, the last of a repeated name, and leaves files out", async () => {
  const body = new FormData();
  body.append("name", "Ada");
  body.append("tag", "first");
  body.append("tag", "second");
  body.append("file", new Blob(["a,b\n"], { type: "text/csv" }), "list.csv");
  const res = await app.request("/", { method: "POST", body });
  assert.deepEqual(await res.json(), { name: "Ada", tag: "second" });
});

test("readForm reads a urlencoded form the same way", async () => {
  const res = await app.request("/", { method: "POST", body: new URLSearchParams({ email: " ana@example.com ", empty: "" }) });
  assert.deepEqual(await res.json(), { email: " ana@example.com ", empty: "" });
});
