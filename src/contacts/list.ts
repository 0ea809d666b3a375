// The contacts list (Contacts > See all, a segment's View contacts, the API): what a search matches (email prefix,
// email domain, phone in any formatting, name contains, custom value), the sort orders, and keyset paging in both
// directions. The query shape is chosen from how many rows drive it, so a deep or rare page costs what the first does.
import { sql, type SQL } from "drizzle-orm";
import type { CountryCode } from "libphonenumber-js/max";
import type { Db } from "../db/client";
import { plannedEstimate, queryRows } from "../db/client";
import type { ConditionGroup } from "../conditions/grammar";
import { conditionsWhere, conditionsWithJoins } from "../conditions/sql";
import { phoneSearchDigits } from "./phone";
import { CONTACT_COLUMNS, foldedLikePattern, normaliseQuery, toContactRow, type ContactRow, type RawContact } from "./queries";
import { getSegmentChoice } from "../segments/choices";
import { openImportSince } from "../imports/writing";

/**
 * What narrows the contacts list: a search, one segment's members, and conditions (src/conditions/). `country`
 * reads a phone typed without one. `segmentSize` is the segment's member count when the caller has just read the
 * segment, so that the list does not read it again.
 */
export interface ContactFilter {
  q?: string;
  segmentId?: number | null;
  segmentSize?: number;
  country?: CountryCode;
  conditions?: ConditionGroup | null;
}

export const SORTS = ["created", "updated", "email", "first_name", "last_name"] as const;
export type SortName = (typeof SORTS)[number];
export type SortDir = "asc" | "desc";
export const PAGE_SIZES = [50, 100, 500] as const;

export const SORT_LABELS: Record<SortName, string> = {
  created: "Created",
  updated: "Last change",
  email: "Email",
  first_name: "First name",
  last_name: "Last name",
};

// Each sort key has an index (account_id, key, id) or, for the unique email, (account_id, key): see contactsTable.
// Names sort folded (accents and case ignored); a contact without the name sorts as "" (first going up).
const SORT_KEYS: Record<SortName | "id", { key: SQL; cast: SQL }> = {
  created: { key: sql`c.created_at`, cast: sql`timestamptz` },
  updated: { key: sql`c.updated_at`, cast: sql`timestamptz` },
  email: { key: sql`lower(c.email)`, cast: sql`text` },
  first_name: { key: sql`roster_fold(coalesce(c.first_name, ''))`, cast: sql`text` },
  last_name: { key: sql`roster_fold(coalesce(c.last_name, ''))`, cast: sql`text` },
  id: { key: sql`c.id`, cast: sql`bigint` },
};

export interface ListOrder {
  sort: SortName | "id";
  dir: SortDir;
}

/** Where a page starts: the first page, after or before a row (its cursor), or the last page. */
export type PagePosition = { kind: "first" } | { kind: "after"; cursor: Cursor } | { kind: "before"; cursor: Cursor } | { kind: "last" };

/** A row's place in a sort order: its sort key as the database prints it (exact, microseconds included) and its id. */
export interface Cursor {
  key: string;
  id: number;
}

export interface ContactListPage {
  rows: ContactRow[];
  /** Cursors of the first and last row shown, and whether rows exist before and after them. */
  first: string | null;
  last: string | null;
  hasPrevious: boolean;
  hasNext: boolean;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.key, c.id])).toString("base64url");
}

export function decodeCursor(value: string | null | undefined): Cursor | null {
  if (!value || value.length > 2000) return null;
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === "string" && Number.isSafeInteger(parsed[1]) && parsed[1] > 0) {
      return { key: parsed[0], id: parsed[1] };
    }
  } catch {
    return null;
  }
  return null;
}

const DOMAIN = /^@?[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/** One or two characters: no trigram, so no index finds names containing them. */
export function isShortSearch(q: string): boolean {
  return [...q].length < 3;
}

/** An "@", or a "." inside one word: typed from an email address, not a name. */
export function looksLikeEmailPrefix(q: string): boolean {
  return q.includes("@") || (q.includes(".") && !/\s/.test(q));
}

/**
 * The search as SQL on contacts `c`, one index per kind, OR-ed:
 * - a phone (digits in any formatting): the typed digits, and the E.164 and national digits they parse to, as a
 *   suffix of the stored digits (index on the reversed digits), so "600123456" finds "+34 600 12 34 56";
 * - a domain ("gmail.com", "@acme.es"): the address ends with "@gmail.com" or ".gmail.com" (reversed email index);
 * - an email prefix: a range on the (account_id, lower(email)) index (LIKE would not use it under C.UTF-8);
 * - a name contains (accents and case folded): the trigram index of search_name, from 3 characters;
 * - a custom field's whole value (folded): the GIN index of custom_values.
 */
export function searchSql(q: string, country: CountryCode = "US"): SQL {
  return sql`(${sql.join(partsOf(searchParts(q, country)), sql` or `)})`;
}

interface SearchParts {
  /** A range of the email index: in email order, its matches are one stretch of the order's own index (listContactPage). */
  emailPrefix: SQL | null;
  /** The phone, domain and name parts. */
  others: SQL[];
  /** The custom-value part: the planner cannot estimate a value outside its statistics (see walkBudget). */
  customValue: SQL | null;
}

const partsOf = (p: SearchParts, without: { emailPrefix?: boolean } = {}): SQL[] => [
  ...(p.emailPrefix && !without.emailPrefix ? [p.emailPrefix] : []),
  ...p.others,
  ...(p.customValue ? [p.customValue] : []),
];

/** The search's parts, which searchSql OR-s. */
function searchParts(q: string, country: CountryCode): SearchParts {
  const others: SQL[] = [];
  const customValue = sql`c.custom_values @> array[left(roster_fold(${q}), 200)]`;
  const digits = phoneSearchDigits(q, country);
  if (digits) {
    for (const d of digits) {
      others.push(sql`(c.phone is not null and reverse(regexp_replace(c.phone, '[^0-9]', '', 'g')) like ${[...d].reverse().join("") + "%"})`);
    }
    return { emailPrefix: null, others, customValue };
  }
  if (DOMAIN.test(q)) {
    const domain = q.replace(/^@/, "").toLowerCase();
    const reversed = [...domain].reverse().join("");
    others.push(sql`reverse(lower(c.email)) like ${`${reversed}@%`}`, sql`reverse(lower(c.email)) like ${`${reversed}.%`}`);
    if (q.startsWith("@")) return { emailPrefix: null, others, customValue: null };
  }
  const key = q.toLowerCase();
  const emailPrefix = /\s/.test(q) ? null : sql`(lower(c.email) >= ${key} and lower(c.email) < ${key} || chr(1114111))`;
  // "zoe.gar" or "ana@": only an email can match, and the trigram index would return every Zoé García to recheck
  // (pg_trgm ignores punctuation), measured at 54 ms against 1 ms at a million contacts. Under 3 characters the
  // trigram index cannot answer (it reads itself whole): strpos keeps the planner off it, and the rows are checked
  // while walking the sort order instead (see isShortSearch).
  if (!looksLikeEmailPrefix(q)) {
    others.push(isShortSearch(q) ? sql`strpos(c.search_name, roster_fold(${q})) > 0` : sql`c.search_name like '%' || ${foldedLikePattern(q)} || '%'`);
  }
  return { emailPrefix, others, customValue };
}

function segmentSql(accountId: number, segmentId: number): SQL {
  return sql`exists (select 1 from segment_members m where m.account_id = ${accountId} and m.segment_id = ${segmentId} and m.contact_id = c.id)`;
}

/** Conditions on contacts `c` for a filter (search, segment), tenant-scoped. */
export function contactFilterSql(accountId: number, filter: ContactFilter): SQL {
  const parts: SQL[] = [sql`c.account_id = ${accountId}`];
  const q = normaliseQuery(filter.q);
  if (q) parts.push(searchSql(q, filter.country));
  if (filter.segmentId) parts.push(segmentSql(accountId, filter.segmentId));
  if (filter.conditions) parts.push(conditionsWhere(accountId, filter.conditions));
  return sql.join(parts, sql` and `);
}

/** "All N matching": one select of the ids of every contact the filter matches, for a set-based membership change. */
export function matchingContactsSql(accountId: number, filter: ContactFilter): SQL {
  return sql`select c.id from contacts c where ${contactFilterSql(accountId, filter)}`;
}

/** How many contacts the filter matches, exactly. A segment alone reads its maintained count (no scan). */
export async function countContacts(db: Db, accountId: number, filter: ContactFilter): Promise<number> {
  const q = normaliseQuery(filter.q);
  if (filter.segmentId && !q && !filter.conditions) return segmentSize(db, accountId, filter.segmentId, filter.segmentSize);
  // Conditions with their segment joins (conditionsWithJoins): a count reads every match.
  const conditions = filter.conditions ? conditionsWithJoins(accountId, filter.conditions) : null;
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from contacts c ${conditions?.joins ?? sql``}
      where ${contactFilterSql(accountId, { ...filter, q, conditions: undefined })}${conditions ? sql` and ${conditions.where}` : sql``}`,
  );
  return Number(row?.n ?? 0);
}

async function segmentSize(db: Db, accountId: number, segmentId: number, known?: number): Promise<number> {
  return known ?? (await getSegmentChoice(db, accountId, segmentId))?.memberCount ?? 0;
}

/** The planner's estimate of the account's contacts (EXPLAIN, under a millisecond): a scale for walks. */
export async function estimatedContacts(db: Db, accountId: number): Promise<number> {
  return (await plannedEstimate(db, sql`select 1 from contacts c where c.account_id = ${accountId}`)).rows;
}

/**
 * Up to this many members, a segment's page is read by collecting them through the segment's own index and sorting
 * them; past it, by walking the sort order's index and keeping the members, which then sit at least one in
 * SMALL_SET / total rows. Either way a page reads a bounded number of rows.
 */
export const SMALL_SET = 10_000;

/**
 * How many rows of the sort order a search's page walks, keeping the matches, before it collects the matches through
 * the search's own indexes and sorts them instead; 0 to collect at once. A common search fills its page within a short
 * walk; a rare one walks the whole order (800,000 rows for "user1" newest first, whose matches are old) and is
 * collected cheaply. Counting the matches to choose read every one of them ("gmail.com": 511 ms), so the choice is
 * made from the planner's estimates (EXPLAIN, under a millisecond): with M matches among N contacts, a walk meets one
 * match every N / M rows and fills a page of `need` after about need * N / M of them. Filtered to a segment, the walk
 * reads its members, among which the search is assumed to match as often as among all contacts.
 * - Expected past WALK_LIMIT rows: collected at once ("user9999", "@acme.es", a phone).
 * - Otherwise walked for three times the expected rows (the estimate can be off by half), at least MIN_WALK and at
 *   most WALK_LIMIT, and collected if that does not fill the page: matches can sit elsewhere in the order, as a name's
 *   do in email order (email addresses begin with names), where a walk of 26,000 rows cost "søren núñez" 150 ms.
 * Walking 10,000 rows in first-name order, the slowest to walk (a random heap page per row), takes about 17 ms.
 * `share` is the estimated share of contacts the search matches, which the walk's first stretch checks;
 * `byCustomValue`, whether most of them match by a custom value rather than by name or address.
 */
export async function walkBudget(
  db: Db,
  accountId: number,
  q: string,
  filter: ContactFilter,
  need: number,
): Promise<{ rows: number; share: number; byCustomValue: boolean }> {
  const parts = searchParts(q, filter.country ?? "US");
  const estimable = partsOf({ ...parts, customValue: null });
  const where = [sql`c.account_id = ${accountId}`];
  if (estimable.length) where.push(sql`(${sql.join(estimable, sql` or `)})`);
  if (filter.conditions) where.push(conditionsWhere(accountId, filter.conditions));
  const [all, matches, customShare] = await Promise.all([
    estimatedContacts(db, accountId),
    estimable.length ? plannedEstimate(db, sql`select 1 from contacts c where ${sql.join(where, sql` and `)}`) : { rows: 0 },
    parts.customValue ? customValueShare(db, q) : 0,
  ]);
  const share = Math.min(1, (matches.rows + customShare * all) / Math.max(all, 1));
  const expected = need / Math.max(share, 1 / Math.max(all, 1));
  return {
    rows: expected > WALK_LIMIT ? 0 : Math.min(WALK_LIMIT, Math.max(MIN_WALK, Math.ceil(3 * expected))),
    share,
    byCustomValue: customShare * all > matches.rows,
  };
}

/**
 * The share of contacts holding this custom value, from the column's statistics (its most common elements). A value
 * outside them is rarer than all of them, and the planner would count it as 0.5% of the contacts (4,833 of a million
 * for "user9999", which has none): as 0 here, so that a rare search is collected at once.
 */
async function customValueShare(db: Db, q: string): Promise<number> {
  const [row] = await queryRows<{ share: number | null }>(
    db,
    sql`select max(e.share) as share
      from pg_stats s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) as e(value, share)
      where s.schemaname = current_schema() and s.tablename = 'contacts' and s.attname = 'custom_values'
        and e.value = left(roster_fold(${q}), 200)`,
  );
  return Number(row?.share ?? 0);
}
const MIN_WALK = 2_000;
const FIRST_STRETCH = 1_000;
const WALK_LIMIT = 15_000;

/**
 * The first `n` rows of `from` (contacts `c`, joined) that meet `conditions`, walked in the sort order's index. In the
 * created and last-change orders, while an import's transaction is writing the account's contacts, two walks, one on
 * each side of the instant that transaction began (every row it writes carries that instant, see
 * src/imports/writing.ts), so that neither steps over a million index entries it cannot see. A row written by
 * another transaction in that very microsecond is left out of the list until the import ends.
 */
function walkOrder(
  accountId: number,
  sort: SortName | "id",
  select: SQL,
  from: SQL,
  conditions: SQL[],
  dir: SQL,
  n: number,
  keep?: { where: SQL; need: number },
): SQL {
  const { key } = SORT_KEYS[sort];
  const where = sql.join(conditions, sql` and `);
  const ordered = sql`order by ${key} ${dir}, c.id ${dir} limit ${n}`;
  // With `keep`, the first `need` walked rows that meet `keep.where`, filtered in the walk's own order: no sort waits
  // for the whole walk, so the scan stops at the last of them.
  const side = (bound: SQL) => {
    const walk = sql`select ${select}, ${key} as walk_key from ${from} where ${where} ${bound} ${ordered}`;
    return keep ? sql`select * from (${walk}) c where ${keep.where} order by c.walk_key ${dir}, c.id ${dir} limit ${keep.need}` : walk;
  };
  if (sort !== "created" && sort !== "updated") return side(sql``);
  const since = openImportSince(accountId);
  // The walk above the instant is skipped whole when no import is open ('infinity'), the test gating its scan: going
  // up from a cursor, the index scan would start at the cursor and read every entry to the end (90 ms at a million).
  return sql`select * from (
      (${side(sql`and ${key} > ${since} and ${since} < 'infinity'::timestamptz`)})
      union all
      (${side(sql`and ${key} < ${since}`)})
    ) w order by w.walk_key ${dir}, w.id ${dir} limit ${keep ? keep.need : n}`;
}

/**
 * The rows of `query` planned as index walks, without sequential or bitmap scans: in a transaction, set local.
 * Inside a caller's transaction the settings last until that transaction ends (set local outlives a savepoint), so
 * callers read the page last.
 */
function asIndexWalk<T>(db: Db, query: SQL): Promise<T[]> {
  return db.transaction(async (t) => {
    await t.execute(sql`select set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`);
    return queryRows<T>(t, query);
  });
}

/** Whether at most SMALL_SET contacts match the conditions (with the search and segment): counted, stopping at SMALL_SET + 1. */
async function filterIsSmall(db: Db, accountId: number, filter: ContactFilter, smallSet: number): Promise<boolean> {
  const [row] = await queryRows<{ n: string | number }>(
    db,
    sql`select count(*) as n from (select 1 from contacts c where ${contactFilterSql(accountId, filter)} limit ${smallSet + 1}) x`,
  );
  return Number(row?.n ?? 0) <= smallSet;
}

/**
 * One page of contacts in `order`, keyset-paginated (never OFFSET) from `position`. Filtered to a segment, each row
 * also says when and by what it entered the segment. `size` is clamped to 1..500.
 */
export async function listContactPage(
  db: Db,
  accountId: number,
  filter: ContactFilter,
  order: ListOrder,
  position: PagePosition = { kind: "first" },
  size = 50,
  options: { smallSet?: number } = {},
): Promise<ContactListPage> {
  const smallSet = options.smallSet ?? SMALL_SET;
  const limit = Math.min(Math.max(Math.trunc(size) || 50, 1), 500);
  const q = normaliseQuery(filter.q);
  const segmentId = filter.segmentId ?? null;
  const { key, cast } = SORT_KEYS[order.sort];
  // Previous and Last read the reverse order from their end and turn the rows around.
  const backwards = position.kind === "before" || position.kind === "last";
  const ascending = (order.dir === "asc") !== backwards;
  const dir = ascending ? sql`asc` : sql`desc`;
  const cursor = position.kind === "after" || position.kind === "before" ? position.cursor : null;
  // Keyset paging: the rows past `from` in the page's direction, `k` and `id` being the sort key and id as the
  // statement names them.
  const beyond = (k: SQL, id: SQL, from: Cursor) => sql`(${k}, ${id}) ${ascending ? sql`>` : sql`<`} (${from.key}::${cast}, ${from.id}::bigint)`;

  // Which rows drive the page: a small segment's members, a search's or the conditions' matches, or the sort order's index.
  let driver: "segment" | "search" | "conditions" | "order" | "walk-then-search" = "order";
  let walk = { rows: 0, share: 0, byCustomValue: false };
  // Conditions: their matches, when few, are collected and sorted (a rare match would otherwise walk the whole order).
  if (filter.conditions && (await filterIsSmall(db, accountId, { ...filter, q }, smallSet))) driver = "conditions";
  else if (segmentId && (await segmentSize(db, accountId, segmentId, filter.segmentSize)) <= smallSet) driver = "segment";
  // A short search matches names in most rows and has no index to collect them with: it walks the sort order.
  else if (q && !isShortSearch(q)) {
    walk = smallSet === 0 ? { rows: MIN_WALK, share: 1, byCustomValue: false } : await walkBudget(db, accountId, q, filter, limit + 1);
    driver = walk.rows ? "walk-then-search" : "search";
  }

  const membership = segmentId ? sql`, m.added_at, m.source_type, m.source_id, m.source_label` : sql``;
  const membershipJoin = segmentId ? sql`join segment_members m on m.account_id = ${accountId} and m.segment_id = ${segmentId} and m.contact_id = c.id` : sql``;
  let rows: (RawContact & { sort_key: string })[] = [];
  if (driver === "walk-then-search") {
    // The first walk.rows rows of the sort order from the page's start, then the matches among them.
    const where = sql`${searchSql(q!, filter.country)} ${filter.conditions ? sql`and ${conditionsWhere(accountId, filter.conditions)}` : sql``}`;
    // The walked rows are filtered as they come (no join back to contacts: the planner hashed the walk against a
    // bitmap of every match, 2 s for "user"), and the sort key is printed for the page's rows only. It is planned as
    // an index walk: past a few thousand rows the planner would rather read the whole table, or every row after a
    // cursor, and sort it (130 ms for 5,500 rows in last-name order, against 10 ms walked).
    const walkFor = (n: number, from: Cursor | null, need: number) => {
      const conditions: SQL[] = [sql`c.account_id = ${accountId}`];
      if (from) conditions.push(beyond(key, sql`c.id`, from));
      const walked = walkOrder(accountId, order.sort, sql`c.* ${membership}`, sql`contacts c ${membershipJoin}`, conditions, dir, n, { where, need });
      return asIndexWalk<RawContact & { sort_key: string }>(
        db,
        sql`select ${CONTACT_COLUMNS}, c.walk_key::text as sort_key ${segmentId ? sql`, c.added_at, c.source_type, c.source_id, c.source_label` : sql``}
        from (${walked}) c
        order by c.walk_key ${dir}, c.id ${dir}`,
      );
    };
    // In the email and name orders, a first stretch checks the estimate of a search by name: its matches sit together
    // there (addresses begin with names; a name order sorts by the name searched), and show as far fewer than
    // expected in the stretch when they sit elsewhere. They are then collected at once instead of after the whole
    // walk: "ana garcía" by email walked 15,000 rows for none. Otherwise the walk goes on from the stretch's last
    // match. The stretch costs a second statement (planning a walk takes 1-3 ms), so other searches and orders,
    // whose matches are spread through the order, walk in one.
    const byName = (order.sort === "email" || order.sort === "first_name" || order.sort === "last_name") && !looksLikeEmailPrefix(q!) && !walk.byCustomValue;
    const first = byName ? Math.min(walk.rows, FIRST_STRETCH) : walk.rows;
    rows = await walkFor(first, cursor, limit + 1);
    const last = rows[rows.length - 1];
    if (last && rows.length <= limit && walk.rows > first && rows.length * 4 >= first * walk.share) {
      rows = [...rows, ...(await walkFor(walk.rows - first, { key: last.sort_key, id: Number(last.id) }, limit + 1 - rows.length))];
    }
    // Not filled: the rest of the page is elsewhere in the order. (smallSet 0, as tests ask for, walks on.)
    if (rows.length <= limit) driver = smallSet === 0 ? "order" : "search";
  }
  if (driver === "walk-then-search") {
    // The walk filled the page.
  } else if (driver === "order") {
    const conditions: SQL[] = [sql`c.account_id = ${accountId}`];
    if (q) conditions.push(searchSql(q, filter.country));
    if (filter.conditions) conditions.push(conditionsWhere(accountId, filter.conditions));
    if (cursor) conditions.push(beyond(key, sql`c.id`, cursor));
    rows = await queryRows(
      db,
      walkOrder(
        accountId,
        order.sort,
        sql`${CONTACT_COLUMNS}, ${key}::text as sort_key ${membership}`,
        sql`contacts c ${membershipJoin}`,
        conditions,
        dir,
        limit + 1,
      ),
    );
  } else {
    // The matches are collected first (materialized, so the planner cannot fold them back into a walk of the sort
    // index), then sorted: a small set, or a search whose matches a walk of the order did not find near the start.
    // In email order an email prefix's matches are one stretch of the order's own index: they are read from it in
    // order, the page's worth, rather than collected ("user" matches 250,000 of a million: 262 ms collected).
    const parts = driver === "search" && order.sort === "email" ? searchParts(q!, filter.country ?? "US") : null;
    const inOrder = parts?.emailPrefix ?? null;
    const narrowed = sql`${segmentId ? sql`and ${segmentSql(accountId, segmentId)}` : sql``}
      ${filter.conditions ? sql`and ${conditionsWhere(accountId, filter.conditions)}` : sql``}`;
    const source =
      driver === "conditions"
        ? sql`select c.id, ${key} as k from contacts c where ${contactFilterSql(accountId, { ...filter, q })}`
        : driver === "segment"
          ? sql`select c.id, ${key} as k from segment_members s join contacts c on c.account_id = ${accountId} and c.id = s.contact_id
            where s.account_id = ${accountId} and s.segment_id = ${segmentId} ${q ? sql`and ${searchSql(q, filter.country)}` : sql``}`
          : sql`select c.id, ${key} as k from contacts c where c.account_id = ${accountId}
            and ${inOrder ? sql`(${sql.join(partsOf(parts!, { emailPrefix: true }), sql` or `)})` : searchSql(q!, filter.country)} ${narrowed}`;
    const after = (k: SQL, id: SQL) => (cursor ? sql`and ${beyond(k, id, cursor)}` : sql``);
    const collected = sql`select id, k from matched where true ${after(sql`k`, sql`id`)} order by k ${dir}, id ${dir} limit ${limit + 1}`;
    const page = inOrder
      ? sql`select id, k from ((${collected}) union (select c.id, ${key} as k from contacts c where c.account_id = ${accountId} and ${inOrder} ${narrowed}
          ${after(key, sql`c.id`)} order by ${key} ${dir}, c.id ${dir} limit ${limit + 1})) u order by k ${dir}, id ${dir} limit ${limit + 1}`
      : collected;
    rows = await queryRows(
      db,
      sql`with matched as materialized (${source}),
      page as (${page})
      select ${CONTACT_COLUMNS}, p.k::text as sort_key ${membership}
      from page p join contacts c on c.account_id = ${accountId} and c.id = p.id ${membershipJoin}
      order by p.k ${dir}, p.id ${dir}`,
    );
  }
  const more = rows.length > limit;
  const kept = rows.slice(0, limit);
  if (backwards) kept.reverse();
  const cursorOf = (r: { sort_key: string; id: string | number }) => encodeCursor({ key: r.sort_key, id: Number(r.id) });
  return {
    rows: kept.map(toContactRow),
    first: kept.length ? cursorOf(kept[0]!) : null,
    last: kept.length ? cursorOf(kept[kept.length - 1]!) : null,
    hasPrevious: backwards ? more : position.kind === "after",
    hasNext: backwards ? position.kind === "before" : more,
  };
}

/** The API's page: newest first by id, its cursor the last id shown (next_cursor). */
export async function listContacts(db: Db, accountId: number, filter: ContactFilter, page: { cursor?: string | null; limit?: number } = {}) {
  const after = page.cursor && /^[1-9][0-9]{0,15}$/.test(page.cursor) ? { key: page.cursor, id: Number(page.cursor) } : null;
  const result = await listContactPage(
    db,
    accountId,
    filter,
    { sort: "id", dir: "desc" },
    after ? { kind: "after", cursor: after } : { kind: "first" },
    page.limit ?? 50,
  );
  const lastRow = result.rows[result.rows.length - 1];
  return { rows: result.rows, nextCursor: result.hasNext && lastRow ? String(lastRow.id) : null };
}

/** "created-desc": a sort order and its direction, as the list's Sort select and its URLs carry it. */
export type OrderValue = `${SortName}-${SortDir}`;
export const DEFAULT_ORDER: OrderValue = "created-desc";

export const ORDER_LABELS: Record<OrderValue, string> = {
  "created-desc": "Created, newest first",
  "created-asc": "Created, oldest first",
  "updated-desc": "Last change, newest first",
  "updated-asc": "Last change, oldest first",
  "email-asc": "Email, A to Z",
  "email-desc": "Email, Z to A",
  "first_name-asc": "First name, A to Z",
  "first_name-desc": "First name, Z to A",
  "last_name-asc": "Last name, A to Z",
  "last_name-desc": "Last name, Z to A",
};

/**
 * Where the first row of a page sits, counted from the start ("s", 1 = first row) or, after Last, from the end
 * ("e", 1 = last row): keyset paging does not know its offset, so the links carry it.
 */
export interface RowIndex {
  from: "s" | "e";
  n: number;
}

/** Everything of the list's state that its URLs carry besides the filter. */
export interface ListState {
  order: OrderValue;
  sort: SortName;
  dir: SortDir;
  size: number;
  position: PagePosition;
  /** The index of the page's anchor row: the row before it (after), the row after it (before). */
  at: RowIndex | null;
}

export function parseRowIndex(v: string | undefined | null): RowIndex | null {
  const m = /^(e?)([0-9]{1,9})$/.exec(v ?? "");
  return m ? { from: m[1] ? "e" : "s", n: Number(m[2]) } : null;
}

export function formatRowIndex(i: RowIndex): string {
  return `${i.from === "e" ? "e" : ""}${i.n}`;
}

/** Reads sort, size and position from query parameters; anything unknown falls back to the first page, newest first. */
export function readListState(get: (name: string) => string | undefined): ListState {
  const raw = get("order") ?? "";
  const order = (raw in ORDER_LABELS ? raw : DEFAULT_ORDER) as OrderValue;
  const [sort, dir] = order.split(/-(?=asc$|desc$)/) as [SortName, SortDir];
  const sizeNumber = Number(get("size"));
  const size = (PAGE_SIZES as readonly number[]).includes(sizeNumber) ? sizeNumber : PAGE_SIZES[0];
  const after = decodeCursor(get("after"));
  const before = decodeCursor(get("before"));
  const position: PagePosition = after
    ? { kind: "after", cursor: after }
    : before
      ? { kind: "before", cursor: before }
      : get("last") === "1"
        ? { kind: "last" }
        : { kind: "first" };
  return { order, sort, dir, size, position, at: position.kind === "after" || position.kind === "before" ? parseRowIndex(get("at")) : null };
}

/** The index of a page's first row, from how it was reached (null when the link did not say). */
export function firstRowIndex(state: ListState, shown: number): RowIndex | null {
  const p = state.position;
  if (p.kind === "first") return { from: "s", n: 1 };
  if (p.kind === "last") return { from: "e", n: shown };
  if (!state.at) return null;
  if (p.kind === "after") return state.at.from === "s" ? { from: "s", n: state.at.n + 1 } : { from: "e", n: state.at.n - 1 };
  return state.at.from === "s" ? { from: "s", n: Math.max(1, state.at.n - shown) } : { from: "e", n: state.at.n + shown };
}

/** "1–50" or "401,904–401,953": the rows a page shows, when its index and (counted from the end) the total are known. */
export function rowRange(first: RowIndex | null, shown: number, total: number | null): { start: number; end: number } | null {
  if (!first || shown === 0) return null;
  const start = first.from === "s" ? first.n : total === null ? null : total - first.n + 1;
  return start === null ? null : { start, end: start + shown - 1 };
}
