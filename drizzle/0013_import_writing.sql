ALTER TABLE "imports" ADD COLUMN "writing_xid" bigint;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "writing_since" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "imports_writing_idx" ON "imports" USING btree ("account_id") WHERE writing_xid is not null;