// Phone numbers: parsing what people type into E.164 (with the account's default country), the list of countries,
// and the digits a phone search compares.
import { getCountries, getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";

/** The default country of an account created without one (README: "Phone numbers"). */
export const FALLBACK_COUNTRY: CountryCode = "US";

export type PhoneCheck = { ok: true; e164: string } | { ok: false; message: string };

export function isCountryCode(value: unknown): value is CountryCode {
  return typeof value === "string" && /^[A-Z]{2}$/.test(value) && isSupportedCountry(value);
}

/**
 * A phone number as typed (any spacing, dashes, brackets, a leading + or 00) to E.164. A number without its
 * country code is read in `country`. The max metadata checks the number against its country's real ranges, so
 * "call me maybe" and "+34 600" are refused rather than stored.
 */
export function parsePhone(input: string, country: CountryCode): PhoneCheck {
  const value = input.trim();
  if (!/\d/.test(value)) return { ok: false, message: "Enter a phone number, like +34 600 12 34 56." };
  let parsed = parsePhoneNumberFromString(value, { defaultCountry: country });
  // "0034 …" is the international form in most of the world, but not in the US (011): read it as "+34 …" there too.
  if ((!parsed || !parsed.isValid()) && /^\(?00/.test(value))
    parsed = parsePhoneNumberFromString(value.replace(/^(\(?)00/, "$1+"), { defaultCountry: country });
  if (!parsed || !parsed.isValid()) {
    return {
      ok: false,
      message: `Not a valid phone number for ${countryName(country)}: write it with its country code, like +${getCountryCallingCode(country)} …`,
    };
  }
  return { ok: true, e164: parsed.number };
}

/**
 * What a phone search compares: the digits of `q` when it reads as a phone number (6 to 15 digits, only
 * digits, spaces, + - . ( ) /), with the E.164 digits it parses to in `country` when they differ. Null otherwise.
 */
export function phoneSearchDigits(q: string, country: CountryCode): string[] | null {
  if (!/^[+\d\s().\-/]+$/.test(q)) return null;
  const digits = q.replace(/\D/g, "");
  if (digits.length < 6 || digits.length > 15) return null;
  const parsed = parsePhoneNumberFromString(q, { defaultCountry: country });
  const e164 = parsed?.isPossible() ? parsed.number.slice(1) : null;
  // "0034 600…" has digits 0034600…: without the international prefix it is the E.164 digits.
  const out = new Set([digits.replace(/^00/, "")]);
  if (e164) out.add(e164);
  return [...out];
}

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

export function countryName(code: string): string {
  return regionNames.of(code) ?? code;
}

/** Every country libphonenumber knows, by English name, for the default country select. */
export function listCountries(): { code: CountryCode; name: string; callingCode: string }[] {
  return getCountries()
    .map((code) => ({ code, name: countryName(code), callingCode: getCountryCallingCode(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, "en"));
}

/** The country of an Accept-Language header's first tag with a region ("es-ES,es;q=0.9" -> ES), else the fallback. */
export function countryFromAcceptLanguage(header: string | undefined | null): CountryCode {
  for (const part of (header ?? "").split(",")) {
    const region = /^[a-z]{2,3}-([A-Za-z]{2})\b/.exec(part.trim())?.[1]?.toUpperCase();
    if (region && isCountryCode(region)) return region;
  }
  return FALLBACK_COUNTRY;
}
