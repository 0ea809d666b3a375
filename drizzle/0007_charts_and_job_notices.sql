CREATE TABLE "segment_daily_changes" (
	"account_id" bigint NOT NULL,
	"segment_id" bigint NOT NULL,
	"day" date NOT NULL,
	"source_type" text NOT NULL,
	"joins" bigint DEFAULT 0 NOT NULL,
	"leaves" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "segment_daily_changes_account_id_segment_id_day_source_type_pk" PRIMARY KEY("account_id","segment_id","day","source_type")
);
--> statement-breakpoint
CREATE TABLE "workflow_daily_runs" (
	"account_id" bigint NOT NULL,
	"workflow_id" bigint NOT NULL,
	"day" date NOT NULL,
	"events_matched" bigint DEFAULT 0 NOT NULL,
	"contacts_added" bigint DEFAULT 0 NOT NULL,
	"contacts_removed" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "workflow_daily_runs_account_id_workflow_id_day_pk" PRIMARY KEY("account_id","workflow_id","day")
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "notice_shown_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "segment_daily_changes" ADD CONSTRAINT "segment_daily_changes_segment_fk" FOREIGN KEY ("account_id","segment_id") REFERENCES "public"."segments"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_daily_runs" ADD CONSTRAINT "workflow_daily_runs_workflow_fk" FOREIGN KEY ("account_id","workflow_id") REFERENCES "public"."workflows"("account_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "jobs_notice_idx" ON "jobs" USING btree ("account_id","requested_by_user_id") WHERE "jobs"."notice_shown_at" is null and "jobs"."requested_by_user_id" is not null and "jobs"."kind" in ('import', 'export');