import assert from "node:assert/strict";
import { test } from "node:test";
import { countryFromAcceptLanguage, parsePhone, phoneSearchDigits } from "../../src/contacts/phone";

test("parsePhone: any formatting to E.164, a number without its country read in the account's", () => {
  for (const typed of ["+34 600 12 34 56", "+34-600-123-456", "0034 600123456", "(+34) 600.12.34.56"]) {
    assert.deepEqual(parsePhone(typed, "US"), { ok: true, e164: "+34600123456" }, typed);
  }
  assert.deepEqual(parsePhone("600 12 34 56", "ES"), { ok: true, e164: "+34600123456" });
  assert.deepEqual(parsePhone("(212) 555-0100", "US"), { ok: true, e164: "+12125550100" });
  assert.deepEqual(parsePhone("06 12 34 56 78", "FR"), { ok: true, e164: "+33612345678" });
});

test("parsePhone: what is not a number of its country is refused with a message, never kept", () => {
  assert.deepEqual(parsePhone("call me maybe", "US"), { ok: false, message: "Enter a phone number, like +34 600 12 34 56." });
  for (const typed of ["600 12 34 56", "+34 600", "12", "+1 555 0100"]) {
    const r = parsePhone(typed, "US");
    assert.equal(r.ok, false, typed);
  }
  const r = parsePhone("600 12 34 56", "US");
  assert.ok(!r.ok && r.message === "Not a valid phone number for United States: write it with its country code, like +1 …");
});

test("phoneSearchDigits: the digits typed, and the E.164 digits they parse to; null for what is not a phone", () => {
  assert.deepEqual(phoneSearchDigits("+34 600 12 34 56", "US"), ["34600123456"]);
  assert.deepEqual(phoneSearchDigits("600 12 34 56", "ES"), ["600123456", "34600123456"]);
  assert.deepEqual(phoneSearchDigits("0034 600 12 34 56", "US"), ["34600123456"]);
  assert.equal(phoneSearchDigits("12345", "US"), null, "too few digits to be a phone");
  assert.equal(phoneSearchDigits("ana 600", "US"), null);
  assert.equal(phoneSearchDigits("A-123456", "US"), null);
});

test("countryFromAcceptLanguage: the region of the first tag that has one, else US", () => {
  assert.equal(countryFromAcceptLanguage("es-ES,es;q=0.9,en;q=0.8"), "ES");
  assert.equal(countryFromAcceptLanguage("fr,fr-CA;q=0.9"), "CA");
  assert.equal(countryFromAcceptLanguage("en"), "US");
  assert.equal(countryFromAcceptLanguage(undefined), "US");
  assert.equal(countryFromAcceptLanguage("xx-ZZ"), "US");
});
