CREATE TABLE "change_sets" (
	"account_id" bigint NOT NULL,
	"id" bigint GENERATED ALWAYS AS IDENTITY (sequence name "change_sets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"segment_id" bigint NOT NULL,
	"segment_name" text NOT NULL,
	"source_type" text NOT NULL,
	"source_id" bigint,
	"label" text NOT NULL,
	"joined" bigint DEFAULT 0 NOT NULL,
	"left" bigint DEFAULT 0 NOT NULL,
	"skipped" bigint DEFAULT 0 NOT NULL,
	"undoes_id" bigint,
	"undone_by_id" bigint,
	"created_by_label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "change_sets_account_id_id_pk" PRIMARY KEY("account_id","id")
);
--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "mode" text DEFAULT 'add' NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "change_set_id" bigint;--> statement-breakpoint
ALTER TABLE "membership_events" ADD COLUMN "change_set_id" bigint;--> statement-breakpoint
ALTER TABLE "change_sets" ADD CONSTRAINT "change_sets_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_sets_segment_idx" ON "change_sets" USING btree ("account_id","segment_id","id");--> statement-breakpoint
CREATE INDEX "membership_events_change_set_idx" ON "membership_events" USING btree ("account_id","change_set_id") WHERE "membership_events"."change_set_id" is not null;