ALTER TABLE "accounts" ADD COLUMN "default_country" text DEFAULT 'US' NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "custom_values" text[] GENERATED ALWAYS AS (roster_custom_values(custom)) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "contacts_updated_idx" ON "contacts" USING btree ("account_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "contacts_first_name_idx" ON "contacts" USING btree ("account_id",roster_fold(coalesce("first_name", '')),"id");--> statement-breakpoint
CREATE INDEX "contacts_last_name_idx" ON "contacts" USING btree ("account_id",roster_fold(coalesce("last_name", '')),"id");--> statement-breakpoint
CREATE INDEX "contacts_email_reversed_idx" ON "contacts" USING btree ("account_id",reverse(lower("email")) text_pattern_ops);--> statement-breakpoint
CREATE INDEX "contacts_phone_digits_idx" ON "contacts" USING btree ("account_id",reverse(regexp_replace("phone", '[^0-9]', '', 'g')) text_pattern_ops) WHERE "contacts"."phone" is not null;--> statement-breakpoint
CREATE INDEX "contacts_custom_values_idx" ON "contacts" USING gin ("custom_values");