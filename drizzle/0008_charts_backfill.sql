-- The roll-ups start from the history kept so far. Workflow runs before this point only have their membership
-- changes in history (events matched were counted on the workflow row alone), so their days show those.
INSERT INTO "segment_daily_changes" ("account_id", "segment_id", "day", "source_type", "joins", "leaves")
SELECT e."account_id", e."segment_id", (e."at" AT TIME ZONE 'UTC')::date, e."source_type",
  count(*) FILTER (WHERE e."action" = 'added'), count(*) FILTER (WHERE e."action" = 'removed')
FROM "membership_events" e
JOIN "segments" s ON s."account_id" = e."account_id" AND s."id" = e."segment_id"
GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO "workflow_daily_runs" ("account_id", "workflow_id", "day", "contacts_added", "contacts_removed")
SELECT e."account_id", e."source_id", (e."at" AT TIME ZONE 'UTC')::date,
  count(*) FILTER (WHERE e."action" = 'added'), count(*) FILTER (WHERE e."action" = 'removed')
FROM "membership_events" e
JOIN "workflows" w ON w."account_id" = e."account_id" AND w."id" = e."source_id"
WHERE e."source_type" = 'workflow'
GROUP BY 1, 2, 3;
--> statement-breakpoint
-- Jobs that ended before notices existed are not announced now.
UPDATE "jobs" SET "notice_shown_at" = now() WHERE "finished_at" IS NOT NULL;
