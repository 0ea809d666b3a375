import { test } from "node:test";
import assert from "node:assert/strict";
import { mapHeaders, normaliseHeader } from "../../src/imports/headers";

test("normaliseHeader lowercases and removes spaces, dashes and underscores", () => {
  assert.equal(normaliseHeader(" E-Mail_Address "), "emailaddress");
});

test("mapHeaders recognises every built-in alias", () => {
  const header = ["Email", "First Name", "Last Name", "Phone"];
  assert.deepEqual(mapHeaders(header), ["email", "first_name", "last_name", "phone"]);
  for (const name of ["Email", "E-mail", "Email Address", "e_mail", "Mail", "EMAIL"]) assert.deepEqual(mapHeaders([name]), ["email"], name);
  for (const name of ["First Name", "Firstname", "FNAME", "Given Name", "first_name"]) assert.deepEqual(mapHeaders([name]), ["first_name"], name);
  for (const name of ["Last Name", "Lastname", "LNAME", "Surname", "Family Name"]) assert.deepEqual(mapHeaders([name]), ["last_name"], name);
  for (const name of ["Phone", "Phone Number", "Mobile"]) assert.deepEqual(mapHeaders([name]), ["phone"], name);
});

test("mapHeaders matches custom fields by key or label, and skips the rest", () => {
  const custom = [
    { key: "city", label: "Town" },
    { key: "plan_tier", label: "Plan tier" },
  ];
  assert.deepEqual(mapHeaders(["Mail", "Town", "PLAN-TIER", "Notes", "constructor"], custom), ["email", "custom:city", "custom:plan_tier", "skip", "skip"]);
  assert.deepEqual(mapHeaders(["City", "plan tier"], custom), ["custom:city", "custom:plan_tier"]);
});

test("mapHeaders gives each target to its first column only; built-ins win over custom fields", () => {
  assert.deepEqual(mapHeaders(["Email", "E-mail", "Mobile", "Phone"]), ["email", "skip", "phone", "skip"]);
  assert.deepEqual(mapHeaders(["surname"], [{ key: "surname", label: "Surname" }]), ["last_name"]);
});
