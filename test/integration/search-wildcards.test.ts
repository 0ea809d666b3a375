// Searches treat every character literally: full-width ％ and ＿, which unaccent folds to % and _, are not wildcards.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestApp, type TestApp } from "../support/app";

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("searching ％ or ＿ finds only contacts and segments whose name holds them", async () => {
  const account = await t.createAccount();
  for (const [email, first_name] of [
    ["ana@example.com", "Ana"],
    ["sale@example.com", "Sale ５０％"],
    ["under@example.com", "Snake＿case"],
    ["bo@example.com", "Bo"],
  ]) {
    assert.equal((await t.api(account.apiKey, "/contacts", { json: { email, first_name } })).status, 201);
  }
  for (const name of ["Everyone", "Half ％ off", "Snake＿list"]) assert.equal((await t.api(account.apiKey, "/segments", { json: { name } })).status, 201);

  const contacts = async (q: string) =>
    ((await (await t.api(account.apiKey, `/contacts?q=${encodeURIComponent(q)}`)).json()) as { data: { email: string }[] }).data.map((c) => c.email).sort();
  const segments = async (q: string) =>
    ((await (await t.api(account.apiKey, `/segments?q=${encodeURIComponent(q)}`)).json()) as { data: { name: string }[] }).data.map((s) => s.name).sort();

  assert.deepEqual(await contacts("％"), ["sale@example.com"]);
  assert.deepEqual(await contacts("＿"), ["under@example.com"]);
  assert.deepEqual(await contacts("a％"), []);
  assert.deepEqual(await segments("％"), ["Half ％ off"]);
  assert.deepEqual(await segments("＿"), ["Snake＿list"]);
  const page = await (await t.browser(account.adminCookie, `/contacts?q=${encodeURIComponent("％")}`)).text();
  assert.match(page, /sale@example\.com/);
  assert.doesNotMatch(page, /ana@example\.com/);
});
