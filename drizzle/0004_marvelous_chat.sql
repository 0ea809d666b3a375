CREATE TABLE "flash_notices" (
	"id" text PRIMARY KEY NOT NULL,
	"notice" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "flash_notices_expires_idx" ON "flash_notices" USING btree ("expires_at");