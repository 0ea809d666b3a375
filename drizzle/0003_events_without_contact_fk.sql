ALTER TABLE "events" DROP CONSTRAINT "events_contact_fk";
