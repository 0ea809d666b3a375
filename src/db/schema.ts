// Every table of Roster. Tenant tables lead their keys with account_id (the Citus distribution key).
import { sql } from "drizzle-orm";
import { bigint, boolean, customType, date, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
});

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const id = () => bigint("id", { mode: "number" }).generatedAlwaysAsIdentity();
const accountId = () => bigint("account_id", { mode: "number" }).notNull();

export const accountsTable = pgTable("accounts", {
  id: id().primaryKey(),
  name: text("name").notNull(),
  // ISO 3166 code of the country a phone number written without its country code is read in (src/contacts/phone.ts).
  defaultCountry: text("default_country").notNull().default("US"),
  createdAt: ts("created_at").notNull().defaultNow(),
});

export const ROLES = ["admin", "editor", "viewer"] as const;
export type Role = (typeof ROLES)[number];

// Users belong to one account. The email is unique across accounts because sign-in is by email alone;
// with Citus this table stays on the coordinator with the rest of the sign-in machinery.
export const usersTable = pgTable(
  "users",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role").$type<Role>().notNull(),
    active: boolean("active").notNull().default(true),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), uniqueIndex("users_email_idx").on(sql`lower(${t.email})`), uniqueIndex("users_id_idx").on(t.id)],
);

// Sign-in machinery: the session id is the SHA-256 of the cookie token (the token itself is never stored).
export const sessionsTable = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    accountId: bigint("account_id", { mode: "number" }).notNull(),
    userId: bigint("user_id", { mode: "number" }).notNull(),
    expiresAt: ts("expires_at").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    index("sessions_user_idx").on(t.accountId, t.userId),
    foreignKey({ name: "sessions_user_fk", columns: [t.accountId, t.userId], foreignColumns: [usersTable.accountId, usersTable.id] }).onDelete("cascade"),
  ],
);

// Failed sign-ins per key ("email:..." or "ip:..."), kept in the database so the limit holds across instances.
export const signInThrottleTable = pgTable("sign_in_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  lastFailureAt: ts("last_failure_at").notNull().defaultNow(),
  blockedUntil: ts("blocked_until"),
});

// One-time notices carried across a redirect (see src/web/flash.ts): the cookie holds a random token, the row its SHA-256.
// Not a tenant table: "You are signed out" is shown to nobody's account.
export const flashNoticesTable = pgTable(
  "flash_notices",
  {
    id: text("id").primaryKey(),
    notice: jsonb("notice").notNull(),
    expiresAt: ts("expires_at").notNull(),
  },
  (t) => [index("flash_notices_expires_idx").on(t.expiresAt)],
);

export const API_KEY_SCOPES = ["full", "send"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

// An API key is shown once; only its SHA-256 is kept. "send" keys can only post events, from allowed origins.
export const apiKeysTable = pgTable(
  "api_keys",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull(),
    prefix: text("prefix").notNull(),
    scope: text("scope").$type<ApiKeyScope>().notNull().default("full"),
    allowedOrigins: text("allowed_origins")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdBy: bigint("created_by", { mode: "number" }),
    createdAt: ts("created_at").notNull().defaultNow(),
    lastUsedAt: ts("last_used_at"),
    revokedAt: ts("revoked_at"),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), uniqueIndex("api_keys_hash_idx").on(t.keyHash)],
);

export const CUSTOM_FIELD_TYPES = ["text", "number", "date", "boolean"] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export const customFieldsTable = pgTable(
  "custom_fields",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    key: text("key").notNull(),
    label: text("label").notNull(),
    type: text("type").$type<CustomFieldType>().notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), uniqueIndex("custom_fields_key_idx").on(t.accountId, t.key)],
);

// Email is stored as entered; identity is lower(email). custom holds custom field values by field key.
export const contactsTable = pgTable(
  "contacts",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    email: text("email").notNull(),
    firstName: text("first_name"),
    lastName: text("last_name"),
    phone: text("phone"),
    custom: jsonb("custom").$type<Record<string, string | number | boolean | null>>().notNull().default({}),
    // "first last", lower-cased and unaccented by the database itself, so bulk writers (imports) need not
    // maintain it. roster_fold() is the immutable unaccent wrapper created in src/db/migrate.ts.
    searchName: text("search_name")
      .notNull()
      .generatedAlwaysAs(sql`roster_fold(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))`),
    // The custom values, folded like search_name, for the custom value search (roster_custom_values is in
    // src/db/migrate.ts). Stored, so checking a row while walking a sort order is an array test, not a function call.
    customValues: text("custom_values")
      .array()
      .notNull()
      .generatedAlwaysAs(sql`roster_custom_values(custom)`),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("contacts_email_idx").on(t.accountId, sql`lower(${t.email})`),
    index("contacts_created_idx").on(t.accountId, t.createdAt, t.id),
    // "Name contains" search: trigram index, so '%mar%' is an index scan, accents and case already folded.
    index("contacts_search_name_idx").using("gin", sql`${t.searchName} gin_trgm_ops`),
    // Sort orders of the contacts list, each with id last so keyset paging has a total order (src/contacts/list.ts).
    index("contacts_updated_idx").on(t.accountId, t.updatedAt, t.id),
    index("contacts_first_name_idx").on(t.accountId, sql`roster_fold(coalesce(${t.firstName}, ''))`, t.id),
    index("contacts_last_name_idx").on(t.accountId, sql`roster_fold(coalesce(${t.lastName}, ''))`, t.id),
    // Search by email domain: "gmail.com" is a prefix of the reversed address ("moc.liamg@...").
    index("contacts_email_reversed_idx").on(t.accountId, sql`reverse(lower(${t.email})) text_pattern_ops`),
    // Search by phone in any formatting: the typed digits are a prefix of the reversed stored digits, so stored
    // numbers match however they were written (E.164 now, anything before numbers were checked).
    index("contacts_phone_digits_idx")
      .on(t.accountId, sql`reverse(regexp_replace(${t.phone}, '[^0-9]', '', 'g')) text_pattern_ops`)
      .where(sql`${t.phone} is not null`),
    // Search by a custom field's whole value, folded like names.
    index("contacts_custom_values_idx").using("gin", t.customValues),
  ],
);

export const SEGMENT_TYPES = ["static", "dynamic"] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export const segmentsTable = pgTable(
  "segments",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    type: text("type").$type<SegmentType>().notNull().default("static"),
    // Maintained by every membership change in the same transaction, so counts are exact and cheap to read.
    memberCount: bigint("member_count", { mode: "number" }).notNull().default(0),
    // A dynamic segment's conditions (the grammar of src/conditions/grammar.ts); null for a static segment. Its
    // members are kept in segment_members like a static segment's, by src/segments/refresh.ts.
    conditions: jsonb("conditions").$type<Record<string, unknown>>(),
    // When the conditions were last saved, and when a refresh last made the members match them (the start of its
    // transaction); refreshed_event_id is the newest event id that refresh could see. Together they tell the
    // worker which dynamic segments may be out of date. refresh_error: why the last refresh failed, if it did.
    conditionsChangedAt: ts("conditions_changed_at"),
    refreshedAt: ts("refreshed_at"),
    refreshedEventId: bigint("refreshed_event_id", { mode: "number" }),
    // A refresh either recomputes every member (full: on save, when a segment referred to changed, and at least every
    // ten minutes, as "in the last N days" moves with time) or looks again only at the contacts changed or given an
    // event since the last refresh (incremental). fully_refreshed_at: when the last full one began.
    fullyRefreshedAt: ts("fully_refreshed_at"),
    refreshError: text("refresh_error"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), uniqueIndex("segments_name_idx").on(t.accountId, sql`lower(${t.name})`)],
);

// Who changed a membership: a user by hand, an import job, a workflow, an API key, or a dynamic segment's
// conditions (source_id the segment itself, label "by conditions").
export const SOURCE_TYPES = ["user", "import", "workflow", "api_key", "conditions"] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

export const segmentMembersTable = pgTable(
  "segment_members",
  {
    accountId: accountId(),
    segmentId: bigint("segment_id", { mode: "number" }).notNull(),
    contactId: bigint("contact_id", { mode: "number" }).notNull(),
    addedAt: ts("added_at").notNull().defaultNow(),
    sourceType: text("source_type").$type<SourceType>().notNull(),
    sourceId: bigint("source_id", { mode: "number" }),
    sourceLabel: text("source_label").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.segmentId, t.contactId] }),
    index("segment_members_contact_idx").on(t.accountId, t.contactId),
    foreignKey({
      name: "segment_members_segment_fk",
      columns: [t.accountId, t.segmentId],
      foreignColumns: [segmentsTable.accountId, segmentsTable.id],
    }).onDelete("cascade"),
    foreignKey({
      name: "segment_members_contact_fk",
      columns: [t.accountId, t.contactId],
      foreignColumns: [contactsTable.accountId, contactsTable.id],
    }).onDelete("cascade"),
  ],
);

export const MEMBERSHIP_ACTIONS = ["added", "removed"] as const;
export type MembershipAction = (typeof MEMBERSHIP_ACTIONS)[number];

// Membership history outlives segments and contacts: names are copied so an entry still reads after deletion.
export const membershipEventsTable = pgTable(
  "membership_events",
  {
    accountId: accountId(),
    id: id(),
    segmentId: bigint("segment_id", { mode: "number" }).notNull(),
    segmentName: text("segment_name").notNull(),
    contactId: bigint("contact_id", { mode: "number" }).notNull(),
    action: text("action").$type<MembershipAction>().notNull(),
    sourceType: text("source_type").$type<SourceType>().notNull(),
    sourceId: bigint("source_id", { mode: "number" }),
    sourceLabel: text("source_label").notNull(),
    at: ts("at").notNull().defaultNow(),
    // The change set this entry belongs to (an import, a bulk change, a workflow run, an undo); null for changes made one at a time.
    changeSetId: bigint("change_set_id", { mode: "number" }),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    // History pages read newest first with a keyset on id (ids follow time; many entries share one `at`).
    index("membership_events_segment_idx").on(t.accountId, t.segmentId, t.id),
    index("membership_events_contact_idx").on(t.accountId, t.contactId, t.id),
    // A segment's history page merges entries made one at a time (this index, newest first) with its change sets.
    index("membership_events_segment_single_idx")
      .on(t.accountId, t.segmentId, t.at, t.id)
      .where(sql`${t.changeSetId} is null`),
    index("membership_events_change_set_idx")
      .on(t.accountId, t.changeSetId)
      .where(sql`${t.changeSetId} is not null`),
  ],
);

// A segment's joins and leaves per UTC day and source, kept by the statements that write membership history
// (same statement, one row per segment and source): the size-over-time chart reads a few hundred of these rows
// instead of scanning millions of history entries.
export const segmentDailyChangesTable = pgTable(
  "segment_daily_changes",
  {
    accountId: accountId(),
    segmentId: bigint("segment_id", { mode: "number" }).notNull(),
    day: date("day", { mode: "string" }).notNull(),
    sourceType: text("source_type").$type<SourceType>().notNull(),
    joins: bigint("joins", { mode: "number" }).notNull().default(0),
    leaves: bigint("leaves", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.segmentId, t.day, t.sourceType] }),
    foreignKey({
      name: "segment_daily_changes_segment_fk",
      columns: [t.accountId, t.segmentId],
      foreignColumns: [segmentsTable.accountId, segmentsTable.id],
    }).onDelete("cascade"),
  ],
);

// One kind a line: branches adding kinds then merge without conflict.
export const CHANGE_SET_KINDS = [
  "import",
  "undo",
  // A bulk change by hand (contacts list, a segment's members page): label "bulk change by <user>".
  "manual",
  // One workflow's changes to one segment in one run (a batch of events): label "workflow <name>"; not undone by hand.
  "workflow",
  // A PUT /api/v1/segments/:id/contacts answered at once: label "API key <name>".
  "api",
  // All contacts matching conditions added or removed at once (Contacts > See all, src/conditions/).
  "conditions",
] as const;
export type ChangeSetKind = (typeof CHANGE_SET_KINDS)[number];

// One change to a segment's membership made as a whole (an import's run, a bulk change, a workflow run, an undo), so that it can be
// shown and undone as a whole: its history entries carry its id. source_type/source_id say what made it (the
// import, or the user or key that undid); `undoes_id` and `undone_by_id` link an undo and what it undid.
export const changeSetsTable = pgTable(
  "change_sets",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    kind: text("kind").$type<ChangeSetKind>().notNull(),
    segmentId: bigint("segment_id", { mode: "number" }).notNull(),
    segmentName: text("segment_name").notNull(),
    sourceType: text("source_type").$type<SourceType>().notNull(),
    sourceId: bigint("source_id", { mode: "number" }),
    label: text("label").notNull(),
    joined: bigint("joined", { mode: "number" }).notNull().default(0),
    left: bigint("left", { mode: "number" }).notNull().default(0),
    // An undo: the entries it left alone because a later change touched the same members.
    skipped: bigint("skipped", { mode: "number" }).notNull().default(0),
    undoesId: bigint("undoes_id", { mode: "number" }),
    undoneById: bigint("undone_by_id", { mode: "number" }),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    index("change_sets_segment_idx").on(t.accountId, t.segmentId, t.id),
    // A segment's history page reads its change sets newest first, merged by time with its single entries.
    index("change_sets_segment_time_idx").on(t.accountId, t.segmentId, t.createdAt, t.id),
  ],
);

export const JOB_STATUSES = ["queued", "running", "completed", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

// Background work (imports, exports, purges). Claimed with FOR UPDATE SKIP LOCKED; a lapsed lease means the
// worker died and another may take the job again, up to max_attempts.
export const jobsTable = pgTable(
  "jobs",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    kind: text("kind").notNull(),
    status: text("status").$type<JobStatus>().notNull().default("queued"),
    progressDone: bigint("progress_done", { mode: "number" }).notNull().default(0),
    progressTotal: bigint("progress_total", { mode: "number" }),
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    result: jsonb("result").$type<Record<string, unknown>>(),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(3),
    requestedByUserId: bigint("requested_by_user_id", { mode: "number" }),
    requestedByApiKeyId: bigint("requested_by_api_key_id", { mode: "number" }),
    requestedByLabel: text("requested_by_label").notNull().default(""),
    lockedBy: text("locked_by"),
    leaseUntil: ts("lease_until"),
    runAfter: ts("run_after").notNull().defaultNow(),
    createdAt: ts("created_at").notNull().defaultNow(),
    startedAt: ts("started_at"),
    finishedAt: ts("finished_at"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    // When the requester was told the job ended ("Export of Buyers is ready"): each notice is shown once.
    noticeShownAt: ts("notice_shown_at"),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    index("jobs_claim_idx").on(t.status, t.runAfter),
    index("jobs_account_kind_idx").on(t.accountId, t.kind, t.id),
    // The layout's job notice poll: a user's imports and exports not yet announced, a handful of rows at most.
    index("jobs_notice_idx")
      .on(t.accountId, t.requestedByUserId)
      .where(sql`${t.noticeShownAt} is null and ${t.requestedByUserId} is not null and ${t.kind} in ('import', 'export')`),
  ],
);

// Uploaded and produced files live in the database in chunks, so instances share no disk.
export const filesTable = pgTable(
  "files",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    name: text("name").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull().default(0),
    complete: boolean("complete").notNull().default(false),
    createdAt: ts("created_at").notNull().defaultNow(),
    expiresAt: ts("expires_at"),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("files_expires_idx").on(t.expiresAt)],
);

export const fileChunksTable = pgTable(
  "file_chunks",
  {
    accountId: accountId(),
    fileId: bigint("file_id", { mode: "number" }).notNull(),
    seq: integer("seq").notNull(),
    data: bytea("data").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.fileId, t.seq] }),
    foreignKey({ name: "file_chunks_file_fk", columns: [t.accountId, t.fileId], foreignColumns: [filesTable.accountId, filesTable.id] }).onDelete("cascade"),
  ],
);

export const IMPORT_MODES = ["add", "remove", "replace"] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

/** What one CSV column goes to: a contact field, "custom:<key>", or "skip" (Don't import). */
/** Counts of the forms seen in a column's first rows (src/custom-fields/typed-values.ts, ColumnProfile). */
export type ImportColumnProfile = Record<string, number>;

export type ImportColumnTarget = "email" | "first_name" | "last_name" | "phone" | `custom:${string}` | "skip";

// One import, from its draft (a kept upload, its detected dialect, the mapping and options being chosen) to its
// run. The jobs hold the state and counts: preview_job_id the latest dry run (kind "import_preview"), job_id the
// import itself (kind "import"); job_id null means still a draft. The upload is kept as a file so a job that died
// is retried from it; no foreign key to files because expired files are purged and the row must still read.
// Segment: segment_id once chosen (a new one is created when the import starts); its name is copied for the list.
export const importsTable = pgTable(
  "imports",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    source: text("source").$type<"upload" | "paste" | "api">().notNull(),
    fileId: bigint("file_id", { mode: "number" }).notNull(),
    fileName: text("file_name").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull().default(0),
    // The encoding the header and samples were read with; encoding_choice is the one the person chose (null:
    // Automatic, which the jobs detect again over the whole file).
    encoding: text("encoding").notNull(),
    encodingChoice: text("encoding_choice"),
    delimiter: text("delimiter").notNull(),
    header: jsonb("header").$type<string[]>().notNull(),
    // A few first data rows, to show a sample value next to each column on the mapping step.
    samples: jsonb("samples").$type<string[][]>().notNull().default([]),
    // One target per header column, in column order.
    mapping: jsonb("mapping").$type<ImportColumnTarget[]>().notNull(),
    // What the first rows of each column look like (dates, decimal marks, yes/no), to detect the file's forms.
    profiles: jsonb("profiles").$type<ImportColumnProfile[]>().notNull().default([]),
    // The date form (dmy, mdy, ymd) and decimal mark ("," or ".") chosen for typed custom fields; null: detected.
    dateForm: text("date_form"),
    decimalMark: text("decimal_mark"),
    overwrite: boolean("overwrite").notNull().default(false),
    // What the file does to the segment: add its contacts, remove them, or replace the members with them.
    mode: text("mode").$type<ImportMode>().notNull().default("add"),
    segmentId: bigint("segment_id", { mode: "number" }),
    segmentName: text("segment_name"),
    // "Add to a new segment named ...": created when the import starts, then segment_id is set.
    newSegmentName: text("new_segment_name"),
    previewJobId: bigint("preview_job_id", { mode: "number" }),
    jobId: bigint("job_id", { mode: "number" }),
    // The membership change set of the run, once it has changed the segment (see changeSetsTable).
    changeSetId: bigint("change_set_id", { mode: "number" }),
    createdByUserId: bigint("created_by_user_id", { mode: "number" }),
    createdByApiKeyId: bigint("created_by_api_key_id", { mode: "number" }),
    createdByLabel: text("created_by_label").notNull(),
    // While the run's transaction writes contacts: its transaction id and its start, which is the created_at and
    // updated_at of every contact it writes. The contacts list reads around that instant rather than through a
    // million rows it cannot see yet (src/contacts/list.ts). Cleared when the run ends.
    writingXid: bigint("writing_xid", { mode: "number" }),
    writingSince: ts("writing_since"),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    index("imports_job_idx").on(t.accountId, t.jobId),
    index("imports_writing_idx")
      .on(t.accountId)
      .where(sql`writing_xid is not null`),
    foreignKey({ name: "imports_job_fk", columns: [t.accountId, t.jobId], foreignColumns: [jobsTable.accountId, jobsTable.id] }),
    foreignKey({ name: "imports_preview_job_fk", columns: [t.accountId, t.previewJobId], foreignColumns: [jobsTable.accountId, jobsTable.id] }),
  ],
);

// One export a user or API key asked for. The job (kind "export") does the work and holds queued/running/
// completed/failed/cancelled; `expired_at` is the export's own state once its file is purged (the job stays
// completed). The download URL names `token` (random, unguessable) rather than the sequential id. Segment name
// and requester are copied so the list still reads after the segment or user is gone.
export const exportsTable = pgTable(
  "exports",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    token: text("token").notNull(),
    kind: text("kind").$type<"contacts">().notNull().default("contacts"),
    // Null: all contacts of the account.
    segmentId: bigint("segment_id", { mode: "number" }),
    segmentName: text("segment_name"),
    // Property ids in the chosen column order (see src/exports/fields.ts).
    fields: jsonb("fields").$type<string[]>().notNull(),
    format: text("format").notNull(),
    // How typed custom fields are written in CSV and TSV: date form (ymd, dmy, mdy; also XLSX's date cells) and decimal mark.
    dateForm: text("date_form").notNull().default("ymd"),
    decimalMark: text("decimal_mark").notNull().default("."),
    jobId: bigint("job_id", { mode: "number" }).notNull(),
    // No foreign key: files are purged on expiry, and maintenance clears this and sets expired_at first.
    fileId: bigint("file_id", { mode: "number" }),
    fileName: text("file_name"),
    // Rows when the export was requested (the summary's estimate), then the exact count of the snapshot.
    estimatedRows: bigint("estimated_rows", { mode: "number" }).notNull().default(0),
    rowsTotal: bigint("rows_total", { mode: "number" }),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    expiresAt: ts("expires_at"),
    expiredAt: ts("expired_at"),
    createdByUserId: bigint("created_by_user_id", { mode: "number" }),
    createdByLabel: text("created_by_label").notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    completedAt: ts("completed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("exports_token_idx").on(t.accountId, t.token),
    index("exports_job_idx").on(t.accountId, t.jobId),
    index("exports_file_idx").on(t.accountId, t.fileId),
    foreignKey({ name: "exports_job_fk", columns: [t.accountId, t.jobId], foreignColumns: [jobsTable.accountId, jobsTable.id] }).onDelete("cascade"),
  ],
);

// Events as senders posted them. external_id is the sender's idempotency key: the unique index makes a repeated
// id a no-op, even when two copies arrive at the same moment (insert ... on conflict do nothing).
export const eventsTable = pgTable(
  "events",
  {
    accountId: accountId(),
    id: id(),
    externalId: text("external_id").notNull(),
    type: text("type").notNull(),
    contactId: bigint("contact_id", { mode: "number" }).notNull(),
    properties: jsonb("properties").$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: ts("occurred_at").notNull(),
    receivedAt: ts("received_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("events_external_id_idx").on(t.accountId, t.externalId),
    index("events_contact_idx").on(t.accountId, t.contactId, t.occurredAt),
    // Event conditions (src/conditions/sql.ts): the events of one type in a time window, for all contacts at once;
    // contact_id last, so "did X in the last N days" without property conditions reads the index alone.
    index("events_type_time_idx").on(t.accountId, t.type, t.occurredAt, t.contactId),
    // No foreign key to contacts: its check locked the contact's row for every event stored, writing to a random
    // page of contacts each time (a quarter of a batch's time). deleteContact deletes the contact's events itself;
    // an event stored for a contact deleted at that very moment is never shown (events are read by contact).
  ],
);

// Events stored whose workflows have not finished running: a row is written with the events (same statement) and
// deleted once their runs are recorded. A row older than a minute means the process stopped in between (a crash,
// a deploy): the worker's maintenance runs the workflows on those events then (src/workflows/recover.ts).
export const eventEvaluationsTable = pgTable(
  "event_evaluations",
  {
    // No foreign key to accounts: its check would lock the account's one row (FOR KEY SHARE) in every request.
    // A deleted account's rows find no events and are dropped by recovery.
    accountId: accountId(),
    id: id(),
    eventIds: bigint("event_ids", { mode: "number" }).array().notNull(),
    createdAt: ts("created_at").notNull().defaultNow(),
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.id] }), index("event_evaluations_created_idx").on(t.createdAt)],
);

export const WORKFLOW_STATUSES = ["active", "inactive"] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

export type WorkflowActionKind = "add" | "remove";
export interface WorkflowAction {
  kind: WorkflowActionKind;
  segmentId: number;
}
export interface WorkflowCondition {
  path: string;
  operator: "equals" | "not_equals" | "contains" | "greater_than" | "less_than" | "in_list";
  value: string;
}
/** The editor's working copy: nodes may be incomplete until Save; `key` names a node in URLs. */
export interface WorkflowDraft {
  trigger: "purchase" | "product_search" | "page_view" | "form_submit" | "custom" | "segment_entered" | "segment_left" | null;
  customType: string;
  /** The segment of a "When entering/leaving a segment" trigger. */
  triggerSegmentId?: number | null;
  conditions: (WorkflowCondition & { key: string })[];
  actions: { key: string; kind: WorkflowActionKind; segmentId: number | null }[];
}

// A workflow acts with its saved columns (event_type, conditions, actions) while status is active; the editor
// changes only `draft` until Save. Active workflows are found by (account_id, event_type) on a partial index,
// so inactive workflows and other accounts cost nothing at evaluation. Run counters live on the row.
export const workflowsTable = pgTable(
  "workflows",
  {
    accountId: accountId().references(() => accountsTable.id, { onDelete: "cascade" }),
    id: id(),
    name: text("name").notNull(),
    status: text("status").$type<WorkflowStatus>().notNull().default("inactive"),
    triggerKind: text("trigger_kind").$type<WorkflowDraft["trigger"]>(),
    eventType: text("event_type"),
    // "When entering/leaving a segment": the segment whose membership history starts runs, and the last history
    // entry of it already run (src/workflows/segment-triggers.ts), moved in the transaction that runs the actions.
    triggerSegmentId: bigint("trigger_segment_id", { mode: "number" }),
    triggerCursor: bigint("trigger_cursor", { mode: "number" }),
    conditions: jsonb("conditions").$type<WorkflowCondition[]>().notNull().default([]),
    actions: jsonb("actions").$type<WorkflowAction[]>().notNull().default([]),
    draft: jsonb("draft").$type<WorkflowDraft>().notNull(),
    savedAt: ts("saved_at"),
    activatedAt: ts("activated_at"),
    deactivatedReason: text("deactivated_reason"),
    eventsMatched: bigint("events_matched", { mode: "number" }).notNull().default(0),
    contactsAdded: bigint("contacts_added", { mode: "number" }).notNull().default(0),
    contactsRemoved: bigint("contacts_removed", { mode: "number" }).notNull().default(0),
    errorCount: bigint("error_count", { mode: "number" }).notNull().default(0),
    lastRunAt: ts("last_run_at"),
    lastError: text("last_error"),
    lastErrorAt: ts("last_error_at"),
    createdBy: bigint("created_by", { mode: "number" }),
    createdAt: ts("created_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    uniqueIndex("workflows_name_idx").on(t.accountId, sql`lower(${t.name})`),
    index("workflows_active_idx")
      .on(t.accountId, t.eventType)
      .where(sql`${t.status} = 'active'`),
    index("workflows_segment_trigger_idx")
      .on(t.triggerSegmentId)
      .where(sql`${t.status} = 'active' and ${t.triggerSegmentId} is not null`),
  ],
);

// What went wrong when a workflow ran on an event; the event itself is kept and the other workflows still ran.
export const workflowErrorsTable = pgTable(
  "workflow_errors",
  {
    accountId: accountId(),
    id: id(),
    workflowId: bigint("workflow_id", { mode: "number" }).notNull(),
    eventId: bigint("event_id", { mode: "number" }),
    message: text("message").notNull(),
    at: ts("at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.id] }),
    index("workflow_errors_workflow_idx").on(t.accountId, t.workflowId, t.at),
    foreignKey({
      name: "workflow_errors_workflow_fk",
      columns: [t.accountId, t.workflowId],
      foreignColumns: [workflowsTable.accountId, workflowsTable.id],
    }).onDelete("cascade"),
  ],
);

// A workflow's runs per UTC day (events matched, contacts added and removed), kept by the statement that adds a
// run to the workflow's counters, for the chart on the workflow page.
export const workflowDailyRunsTable = pgTable(
  "workflow_daily_runs",
  {
    accountId: accountId(),
    workflowId: bigint("workflow_id", { mode: "number" }).notNull(),
    day: date("day", { mode: "string" }).notNull(),
    eventsMatched: bigint("events_matched", { mode: "number" }).notNull().default(0),
    contactsAdded: bigint("contacts_added", { mode: "number" }).notNull().default(0),
    contactsRemoved: bigint("contacts_removed", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.workflowId, t.day] }),
    foreignKey({
      name: "workflow_daily_runs_workflow_fk",
      columns: [t.accountId, t.workflowId],
      foreignColumns: [workflowsTable.accountId, workflowsTable.id],
    }).onDelete("cascade"),
  ],
);
