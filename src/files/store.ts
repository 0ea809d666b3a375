// Files kept in the database in 1 MiB chunks (uploads and produced exports), so no instance needs a shared disk.
import { Readable, Transform, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { once } from "node:events";
import { and, asc, eq, gte, isNotNull, lt } from "drizzle-orm";
import type postgres from "postgres";
import type { Database, Db } from "../db/client";
import { fileChunksTable, filesTable } from "../db/schema";

export const CHUNK_SIZE = 1024 * 1024;

export type StoredFile = typeof filesTable.$inferSelect;

export async function createFile(db: Db, accountId: number, meta: { name: string; contentType: string; expiresAt?: Date | null }): Promise<StoredFile> {
  const [file] = await db
    .insert(filesTable)
    .values({ accountId, name: meta.name, contentType: meta.contentType, expiresAt: meta.expiresAt ?? null })
    .returning();
  return file!;
}

export async function getFile(db: Db, accountId: number, fileId: number): Promise<StoredFile | null> {
  const [file] = await db
    .select()
    .from(filesTable)
    .where(and(eq(filesTable.accountId, accountId), eq(filesTable.id, fileId)));
  return file ?? null;
}

/**
 * A Writable that stores what it is given as chunks of the file and marks the file complete with its size
 * when it ends. Memory stays at about one chunk whatever the file size.
 * With a postgres.js client the chunks go through one binary COPY: postgres.js sends a bytea parameter as a hex
 * string twice its size, which for 1 MiB chunks left hundreds of MB of garbage behind a large export.
 */
export function createFileWriter(db: Db, file: StoredFile, copyClient?: postgres.Sql): Writable & { bytesWritten(): number } {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let total = 0;
  let copy: Writable | null = null;
  const writeCopy = (buf: Buffer) => (copy!.write(buf) ? Promise.resolve() : once(copy!, "drain").then(() => undefined));
  const flush = async () => {
    if (pendingBytes === 0) return;
    const pieces = pending;
    const length = pendingBytes;
    pending = [];
    pendingBytes = 0;
    if (!copyClient) {
      const data = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length);
      await db.insert(fileChunksTable).values({ accountId: file.accountId, fileId: file.id, seq: seq++, data });
      return;
    }
    if (!copy) {
      copy = (await copyClient`copy file_chunks (account_id, file_id, seq, data) from stdin with (format binary)`.writable()) as Writable;
      // PGCOPY signature, no flags, no header extension.
      await writeCopy(Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]));
    }
    const head = Buffer.alloc(2 + 12 + 12 + 8 + 4);
    let o = head.writeInt16BE(4, 0);
    o = head.writeInt32BE(8, o);
    o = head.writeBigInt64BE(BigInt(file.accountId), o);
    o = head.writeInt32BE(8, o);
    o = head.writeBigInt64BE(BigInt(file.id), o);
    o = head.writeInt32BE(4, o);
    o = head.writeInt32BE(seq++, o);
    head.writeInt32BE(length, o);
    await writeCopy(head);
    // The pieces go as they are: COPY data need not break at rows, and postgres.js copies each write anyway.
    for (const piece of pieces) await writeCopy(piece);
  };
  const writer = new Writable({
    highWaterMark: CHUNK_SIZE,
    write(chunk: Buffer | string, _enc, callback) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      pending.push(buf);
      pendingBytes += buf.length;
      total += buf.length;
      if (pendingBytes < CHUNK_SIZE) return callback();
      flush().then(() => callback(), callback);
    },
    final(callback) {
      flush()
        .then(async () => {
          if (copy) {
            copy.end(Buffer.from([0xff, 0xff]));
            await finished(copy);
          }
        })
        .then(() =>
          db
            .update(filesTable)
            .set({ sizeBytes: total, complete: true })
            .where(and(eq(filesTable.accountId, file.accountId), eq(filesTable.id, file.id))),
        )
        .then(() => callback(), callback);
    },
    destroy(error, callback) {
      copy?.destroy(error ?? undefined);
      callback(error);
    },
  });
  return Object.assign(writer, { bytesWritten: () => total });
}

/** Reads a stored file back as a stream, one chunk per query (memory: one chunk). */
export function readFileStream(db: Db, accountId: number, fileId: number, fromSeq = 0): Readable {
  let seq = fromSeq;
  return new Readable({
    async read() {
      try {
        const [chunk] = await db
          .select({ data: fileChunksTable.data })
          .from(fileChunksTable)
          .where(and(eq(fileChunksTable.accountId, accountId), eq(fileChunksTable.fileId, fileId), gte(fileChunksTable.seq, seq)))
          .orderBy(asc(fileChunksTable.seq))
          .limit(1);
        seq++;
        this.push(chunk ? Buffer.from(chunk.data) : null);
      } catch (e) {
        this.destroy(e as Error);
      }
    },
  });
}

/**
 * Strips PostgreSQL's binary COPY framing (signature, header, per-row field count and length, trailer) from a
 * one-column bytea COPY, passing the bytes through as slices of the socket's buffers.
 */
class CopyBinaryBytes extends Transform {
  private inHeader = true;
  private remaining = 0;
  private carry: Buffer | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void) {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let pos = 0;
    for (;;) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, buf.length - pos);
        if (n === 0) break;
        this.push(buf.subarray(pos, pos + n));
        pos += n;
        this.remaining -= n;
        continue;
      }
      if (this.inHeader) {
        // "PGCOPY\n\xff\r\n\0", int32 flags, int32 header extension length, extension.
        if (buf.length - pos < 19) break;
        const extension = buf.readInt32BE(pos + 15);
        if (buf.length - pos < 19 + extension) break;
        pos += 19 + extension;
        this.inHeader = false;
        continue;
      }
      if (buf.length - pos < 2) break;
      if (buf.readInt16BE(pos) === -1) {
        pos = buf.length;
        break;
      }
      if (buf.length - pos < 6) break;
      this.remaining = Math.max(0, buf.readInt32BE(pos + 2));
      pos += 6;
    }
    if (pos < buf.length) this.carry = Buffer.from(buf.subarray(pos));
    callback();
  }
}

/**
 * A stored file as a byte stream, through COPY ... TO STDOUT (FORMAT binary): never read chunks as bytea, which
 * postgres.js hands over as hex strings twice their size that stay in memory until a full GC.
 */
export async function openFileStream(database: Database, accountId: number, fileId: number): Promise<Readable> {
  const client = database.sql;
  if (!client) return readFileStream(database.db, accountId, fileId);
  // A connection of its own until the COPY ends: postgres.js pipelines pool queries onto busy connections, and one
  // queued behind COPY data on a paused socket waited for the reader, which was itself waiting for that query (an
  // import's progress report): the import hung for good.
  const conn = await client.reserve();
  let source: Readable;
  try {
    source = await conn
      .unsafe(
        `copy (select data from file_chunks where account_id = ${Number(accountId)} and file_id = ${Number(fileId)} order by seq) to stdout (format binary)`,
      )
      .readable();
  } catch (e) {
    conn.release();
    throw e;
  }
  const bytes = new CopyBinaryBytes();
  source.on("error", (e) => bytes.destroy(e));
  // postgres.js resumes its paused socket only from the stream's read(); after the last row nothing calls it,
  // and COPY's completion would never be read (the connection would stay taken). Resume it at the end.
  const resume = () => (source as unknown as { _read(size: number): void })._read(0);
  source.on("end", resume);
  source.once("close", () => {
    resume();
    conn.release();
  });
  return source.pipe(bytes);
}

export async function deleteFile(db: Db, accountId: number, fileId: number): Promise<void> {
  await db.delete(filesTable).where(and(eq(filesTable.accountId, accountId), eq(filesTable.id, fileId)));
}

export async function setFileExpiry(db: Db, accountId: number, fileId: number, expiresAt: Date | null): Promise<void> {
  await db
    .update(filesTable)
    .set({ expiresAt })
    .where(and(eq(filesTable.accountId, accountId), eq(filesTable.id, fileId)));
}

/** Deletes files past their expiry (their chunks go with them). Returns how many. */
export async function purgeExpiredFiles(db: Db, now: Date = new Date()): Promise<number> {
  const rows = await db
    .delete(filesTable)
    .where(and(isNotNull(filesTable.expiresAt), lt(filesTable.expiresAt, now)))
    .returning({ id: filesTable.id });
  return rows.length;
}
