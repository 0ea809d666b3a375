ALTER TABLE "segments" ADD COLUMN "fully_refreshed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "segments" ADD COLUMN "refresh_floor_event_id" bigint;