-- Stored files are written and read far more often than they are kept: skip TOAST's pglz compression of each
-- 1 MiB chunk (it cost a third of the time of storing an export, and uploads are often compressed already).
ALTER TABLE "file_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL;
