ALTER TABLE "segments" ADD COLUMN "conditions" jsonb;--> statement-breakpoint
ALTER TABLE "segments" ADD COLUMN "conditions_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "segments" ADD COLUMN "refreshed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "segments" ADD COLUMN "refreshed_event_id" bigint;--> statement-breakpoint
ALTER TABLE "segments" ADD COLUMN "refresh_error" text;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "trigger_segment_id" bigint;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "trigger_cursor" bigint;--> statement-breakpoint
CREATE INDEX "events_type_time_idx" ON "events" USING btree ("account_id","type","occurred_at","contact_id");--> statement-breakpoint
CREATE INDEX "workflows_segment_trigger_idx" ON "workflows" USING btree ("trigger_segment_id") WHERE "workflows"."status" = 'active' and "workflows"."trigger_segment_id" is not null;