// Reads typed custom values as spreadsheets write them (dates in day/month orders, numbers with either decimal mark, yes/no words), detects the forms a file uses, and writes them back in a chosen form.

/** The order of a date's parts. yyyy-mm-dd (a four-digit first part) is read whatever the chosen order. */
export const DATE_FORMS = ["dmy", "mdy", "ymd"] as const;
export type DateForm = (typeof DATE_FORMS)[number];

export const DATE_FORM_LABELS: Record<DateForm, string> = { dmy: "dd/mm/yyyy", mdy: "mm/dd/yyyy", ymd: "yyyy-mm-dd" };

export const DECIMAL_MARKS = [".", ","] as const;
export type DecimalMark = (typeof DECIMAL_MARKS)[number];

export const DECIMAL_MARK_LABELS: Record<DecimalMark, string> = { ".": "point (1,234.5)", ",": "comma (1.234,5)" };

export function isDateForm(v: unknown): v is DateForm {
  return typeof v === "string" && (DATE_FORMS as readonly string[]).includes(v);
}

export function isDecimalMark(v: unknown): v is DecimalMark {
  return typeof v === "string" && (DECIMAL_MARKS as readonly string[]).includes(v);
}

// Day, month and year in any order, separated by / . or -, then an optional time (kept out of a date field).
const DATE_RE = /^(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})(?:(?:[ T]|, ?)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AaPp]\.?[Mm]\.?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)?$/;

function daysIn(year: number, month: number): number {
  return month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : month === 4 || month === 6 || month === 9 || month === 11
      ? 30
      : 31;
}

const TWO_DIGITS = Array.from({ length: 32 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}`;
}

const TIME_RE = /^(?:[ T]|, ?)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AaPp]\.?[Mm]\.?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?$/;

// parseDate reads digits by hand (a regex with captures was half its time): `at` is where the last read ended.
let at = 0;
function readDigits(s: string, max: number): number {
  let value = 0;
  const start = at;
  while (at < s.length && at - start < max) {
    const c = s.charCodeAt(at) - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
    at++;
  }
  return at === start ? -1 : value;
}

/**
 * A date written in `form` (or as yyyy-mm-dd, always understood) as yyyy-mm-dd, or null when it is not a real date
 * in that form ("31/02/2024"). Years have four digits; a time after the date is allowed and dropped.
 */
export function parseDate(value: string, form: DateForm): string | null {
  at = 0;
  const a = readDigits(value, 4);
  const aLen = at;
  const sep = value.charCodeAt(at);
  if (a < 0 || (sep !== 47 && sep !== 46 && sep !== 45)) return null;
  at++;
  const b = readDigits(value, 2);
  if (b < 0 || value.charCodeAt(at) !== sep) return null;
  at++;
  const cStart = at;
  const c = readDigits(value, 4);
  const cLen = at - cStart;
  if (c < 0 || (at < value.length && !TIME_RE.test(value.slice(at)))) return null;
  if (aLen === 4) return cLen <= 2 ? isoDate(a, b, c) : null;
  if (cLen !== 4 || aLen > 2) return null;
  return form === "mdy" ? isoDate(c, a, b) : form === "dmy" ? isoDate(c, b, a) : null;
}

/** What the first rows of one column say about the forms of its values (stored with an import's draft). */
// A type alias, not an interface: it then fits the Record<string, number> the imports table stores.
export type ColumnProfile = {
  /** Non-empty values seen. */
  values: number;
  /** Dates with a four-digit year first (read in every form). */
  iso: number;
  /** Other date-like values, and how many of them are real dates as dd/mm/yyyy and as mm/dd/yyyy. */
  dated: number;
  dmy: number;
  mdy: number;
  /** Numbers whose decimal mark is certainly ',' or '.' ("1,5", "1.234,5"; "1.5", "1,234.5"); "1.234" is neither. */
  comma: number;
  point: number;
  /** Values that are numbers read with ',' and with '.'. */
  numComma: number;
  numPoint: number;
  /** Values that read as yes/no, and the ones that are only an "x" mark. */
  yesNo: number;
  marks: number;
};

export function emptyProfile(): ColumnProfile {
  return { values: 0, iso: 0, dated: 0, dmy: 0, mdy: 0, comma: 0, point: 0, numComma: 0, numPoint: 0, yesNo: 0, marks: 0 };
}

/** Adds one trimmed cell to a column's profile. */
export function profileValue(profile: ColumnProfile, value: string): void {
  if (value === "") return;
  profile.values++;
  const m = DATE_RE.exec(value);
  if (m) {
    if (m[1]!.length === 4) {
      if (parseDate(value, "ymd") !== null) profile.iso++;
    } else {
      profile.dated++;
      if (parseDate(value, "dmy") !== null) profile.dmy++;
      if (parseDate(value, "mdy") !== null) profile.mdy++;
    }
  }
  const evidence = decimalEvidence(value);
  if (evidence === ",") profile.comma++;
  else if (evidence === ".") profile.point++;
  if (parseNumber(value, ",") !== null) profile.numComma++;
  if (parseNumber(value, ".") !== null) profile.numPoint++;
  const yes = parseYesNo(value);
  if (yes !== null) profile.yesNo++;
  if (value === "x" || value === "X") profile.marks++;
}

export interface DateFormDetection {
  form: DateForm;
  /** How the form was settled: every dated value fits it, several forms fit every value (region's default), or none does (the most values). */
  how: "detected" | "ambiguous" | "mixed" | "none";
}

/**
 * The date form of a file from the profiles of its date-like columns (columns whose every value is a date in some
 * form): the one form all their values fit; several (every day ≤ 12) or none give `fallback`, the account region's.
 */
export function detectDateForm(profiles: readonly ColumnProfile[], fallback: DateForm): DateFormDetection {
  let dated = 0;
  let dmy = 0;
  let mdy = 0;
  let iso = 0;
  for (const p of profiles) {
    if (p.values === 0 || p.iso + p.dated < p.values) continue;
    dated += p.dated;
    dmy += p.dmy;
    mdy += p.mdy;
    iso += p.iso;
  }
  if (dated === 0) return iso > 0 ? { form: "ymd", how: "detected" } : { form: fallback, how: "none" };
  const dmyFits = dmy === dated;
  const mdyFits = mdy === dated;
  if (dmyFits && mdyFits) return { form: fallback === "ymd" ? "dmy" : fallback, how: "ambiguous" };
  if (dmyFits) return { form: "dmy", how: "detected" };
  if (mdyFits) return { form: "mdy", how: "detected" };
  return { form: dmy >= mdy ? "dmy" : "mdy", how: "mixed" };
}

/**
 * Which decimal mark a value certainly uses, or null: with both marks the last one is decimal; one mark used twice is
 * grouping (so the other is decimal); one mark once is decimal unless exactly three digits follow ("1.234").
 */
export function decimalEvidence(value: string): DecimalMark | null {
  const lastComma = value.lastIndexOf(",");
  const lastPoint = value.lastIndexOf(".");
  if (lastComma === -1 && lastPoint === -1) return null;
  if (lastComma !== -1 && lastPoint !== -1) return lastComma > lastPoint ? "," : ".";
  const mark = lastComma !== -1 ? "," : ".";
  const at = lastComma !== -1 ? lastComma : lastPoint;
  if (value.indexOf(mark) !== at) return mark === "," ? "." : ",";
  return value.length - at - 1 === 3 && /^[+-]?\d{1,3}$/.test(value.slice(0, at)) ? null : mark;
}

export interface DecimalMarkDetection {
  mark: DecimalMark;
  how: "detected" | "ambiguous";
}

/** The decimal mark of one column: the one its values certainly use (the more of them), else `fallback`. */
export function detectDecimalMark(profile: ColumnProfile | undefined, fallback: DecimalMark): DecimalMarkDetection {
  if (!profile || profile.comma + profile.point === 0) return { mark: fallback, how: "ambiguous" };
  return { mark: profile.comma > profile.point ? "," : ".", how: "detected" };
}

/**
 * A number written with `mark` as its decimal mark, or null. The other mark, spaces and apostrophes may group
 * thousands (groups of three); "1991,51", "1.991,51" (mark ','), "1,991.51", "1991.51", "-3", "1e3" (mark '.').
 */
export function parseNumber(value: string, mark: DecimalMark): number | null {
  const n = value.length;
  if (n === 0 || n > 40) return null;
  let i = 0;
  let c = value.charCodeAt(0);
  if (c === 45 || c === 43) i = 1;
  const markCode = mark === "," ? 44 : 46;
  const groupCode = mark === "," ? 46 : 44;
  // The digits of the integer part without its group separators, gathered as slices (only when grouped).
  let digits = "";
  let runStart = i;
  let run = 0;
  let grouped = false;
  let anyDigit = false;
  for (; i < n; i++) {
    c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      run++;
      anyDigit = true;
    } else if (c === groupCode || c === 32 || c === 160 || c === 8239 || c === 39) {
      if (run === 0 || (grouped ? run !== 3 : run > 3) || i + 1 >= n) return null;
      digits += value.slice(runStart, i);
      grouped = true;
      run = 0;
      runStart = i + 1;
    } else break;
  }
  if (grouped && run !== 3) return null;
  const intEnd = i;
  let fracStart = -1;
  if (i < n && value.charCodeAt(i) === markCode) {
    fracStart = ++i;
    while (i < n && (c = value.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === fracStart && !anyDigit) return null;
  } else if (!anyDigit) return null;
  const fracEnd = i;
  if (i < n && (value.charCodeAt(i) | 32) === 101) {
    if (grouped || !EXPONENT.test(value.slice(i))) return null;
    i = n;
  }
  if (i !== n) return null;
  // Plain "-1991.51" (or "1e3") is JavaScript's own syntax: Number reads it as it is.
  if (!grouped && mark === ".") return finite(Number(value));
  const sign = value.charCodeAt(0) === 45 ? "-" : "";
  const int = grouped ? digits + value.slice(runStart, intEnd) : value.slice(value.charCodeAt(0) === 45 || value.charCodeAt(0) === 43 ? 1 : 0, intEnd);
  const frac = fracStart < 0 ? "" : `.${value.slice(fracStart, fracEnd)}`;
  return finite(Number(sign + (int || "0") + frac + value.slice(fracEnd)));
}

const EXPONENT = /^[eE][+-]?\d{1,3}$/;

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

const YES = new Set(["yes", "y", "true", "t", "1", "x", "sí", "si", "s", "ja", "oui", "sim"]);
const NO = new Set(["no", "n", "false", "f", "0", "non", "nein", "não", "nao"]);

/** yes/no, true/false, 1/0, sí/no, y/n, x (any case) as a boolean, or null when it is none of them. */
export function parseYesNo(value: string): boolean | null {
  if (value.length > 5) return null;
  const v = value.toLowerCase();
  if (YES.has(v)) return true;
  if (NO.has(v)) return false;
  return null;
}

/** A yyyy-mm-dd date written in `form`, with `separator` between its parts (yyyy-mm-dd keeps its dashes). */
export function formatDate(iso: string, form: DateForm, separator = "/"): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  if (form === "ymd") return iso;
  return form === "dmy" ? `${m[3]}${separator}${m[2]}${separator}${m[1]}` : `${m[2]}${separator}${m[3]}${separator}${m[1]}`;
}

/** A number with `mark` as its decimal mark, without grouping (spreadsheets read it back either way). */
export function formatNumber(value: number, mark: DecimalMark): string {
  const text = String(value);
  return mark === "," ? text.replace(".", ",") : text;
}

/** Regions (ISO 3166 country codes) whose dates are written month first. */
const MONTH_FIRST = new Set(["US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI", "UM", "BZ"]);
/** Regions that write numbers with a decimal point; elsewhere the comma is taken when a file does not say. */
const DECIMAL_POINT = new Set([
  "US",
  "GB",
  "IE",
  "AU",
  "NZ",
  "CA",
  "MX",
  "JP",
  "CN",
  "HK",
  "TW",
  "KR",
  "IN",
  "PK",
  "BD",
  "LK",
  "NP",
  "SG",
  "MY",
  "TH",
  "PH",
  "IL",
  "CH",
  "LI",
  "ZA",
  "NG",
  "KE",
  "GH",
  "UG",
  "TZ",
  "EG",
  "SA",
  "AE",
  "QA",
  "KW",
  "BH",
  "OM",
  "JO",
  "DO",
  "GT",
  "HN",
  "SV",
  "NI",
  "PA",
  "PR",
  "PE",
  "BW",
  "ZW",
  "MT",
  "CY",
  "JM",
  "TT",
  "BS",
  "BB",
  "MM",
  "KH",
  "LA",
  "ET",
]);

/** The date form and decimal mark a region writes, for files that do not settle them. */
export function regionForms(country: string | null | undefined): { dateForm: DateForm; decimalMark: DecimalMark } {
  const c = (country ?? "").toUpperCase();
  return { dateForm: MONTH_FIRST.has(c) ? "mdy" : "dmy", decimalMark: c === "" || DECIMAL_POINT.has(c) ? "." : "," };
}
