ALTER TABLE "events" DROP CONSTRAINT IF EXISTS "events_contact_fk";
