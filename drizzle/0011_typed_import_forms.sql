ALTER TABLE "exports" ADD COLUMN "date_form" text DEFAULT 'ymd' NOT NULL;--> statement-breakpoint
ALTER TABLE "exports" ADD COLUMN "decimal_mark" text DEFAULT '.' NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "profiles" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "date_form" text;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "decimal_mark" text;