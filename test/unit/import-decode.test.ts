import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { decodeBytes, openTextStream, scanEncoding, sniffEncoding } from "../../src/imports/decode";
import { fixtureBytes } from "./import-helpers";

test("fixtures keep the exact bytes they were written with", () => {
  assert.deepEqual([...fixtureBytes("utf8-bom.csv").subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.deepEqual([...fixtureBytes("utf16le-bom.csv").subarray(0, 4)], [0xff, 0xfe, 0x45, 0x00]);
  assert.deepEqual([...fixtureBytes("utf16be-bom.csv").subarray(0, 4)], [0xfe, 0xff, 0x00, 0x45]);
  assert.ok(fixtureBytes("windows-1252.csv").includes(Buffer.from([0x52, 0x65, 0x6e, 0xe9]))); // "Ren\xe9"
});

test("sniffEncoding: BOM first, then UTF-8 validity, else windows-1252", () => {
  assert.equal(sniffEncoding(fixtureBytes("utf8-bom.csv"), true), "utf-8");
  assert.equal(sniffEncoding(fixtureBytes("utf8-no-bom.csv"), true), "utf-8");
  assert.equal(sniffEncoding(fixtureBytes("utf16le-bom.csv"), true), "utf-16le");
  assert.equal(sniffEncoding(fixtureBytes("utf16be-bom.csv"), true), "utf-16be");
  assert.equal(sniffEncoding(fixtureBytes("windows-1252.csv"), true), "windows-1252");
  assert.equal(sniffEncoding(Buffer.from("plain ascii\n"), true), "utf-8");
});

test("sniffEncoding tolerates a UTF-8 character cut at the end of an incomplete head", () => {
  const bytes = Buffer.from("name\nZoé", "utf8");
  const cut = bytes.subarray(0, bytes.length - 1); // ends with the lead byte of "é"
  assert.equal(sniffEncoding(cut, false), "utf-8");
  assert.equal(sniffEncoding(cut, true), "windows-1252");
});

test("decodeBytes decodes every encoding and drops the BOM", () => {
  assert.equal(decodeBytes(fixtureBytes("utf8-bom.csv")).text.split("\r\n")[1], "zoe@example.com,Zoé,Müller");
  assert.equal(decodeBytes(fixtureBytes("utf8-bom.csv")).text.charCodeAt(0), "e".charCodeAt(0));
  assert.equal(decodeBytes(fixtureBytes("utf16le-bom.csv")).text.slice(0, 12), "Email;Prénom");
  assert.equal(decodeBytes(fixtureBytes("utf16be-bom.csv")).text, "E-mail\tFirst Name\njurgen@example.de\tJürgen\n");
  const cp1252 = decodeBytes(fixtureBytes("windows-1252.csv"));
  assert.equal(cp1252.encoding, "windows-1252");
  assert.equal(cp1252.text.split("\r\n")[1], "rene@example.fr,René,Müller,5 €");
  assert.equal(cp1252.text.split("\r\n")[2], "obrien@example.ie,Seán,O\u2019Brien,");
});

test("scanEncoding reads the whole stream: a late windows-1252 byte is found past the first chunk", async () => {
  const ascii = Buffer.alloc(3 * 1024 * 1024, "a,b\n");
  const late = Buffer.from([0x52, 0x65, 0x6e, 0xe9, 0x0a]);
  assert.equal(await scanEncoding(Readable.from([ascii, late])), "windows-1252");
  assert.equal(await scanEncoding(Readable.from([ascii, Buffer.from("René\n")])), "utf-8");
  // A multi-byte character split across two chunks is still valid UTF-8.
  const e = Buffer.from("é");
  assert.equal(await scanEncoding(Readable.from([Buffer.from("a"), e.subarray(0, 1), e.subarray(1)])), "utf-8");
  assert.equal(await scanEncoding(Readable.from([fixtureBytes("utf16le-bom.csv")])), "utf-16le");
});

test("openTextStream reads invalid UTF-8 after the sniffing window as U+FFFD, for the row to be reported", async () => {
  const ascii = Buffer.alloc(2 * 1024 * 1024, "a,b\n");
  const text = await openTextStream(Readable.from([ascii, Buffer.from([0x62, 0xe9, 0x0a])]));
  assert.equal(text.encoding, "utf-8");
  let all = "";
  for await (const part of text.chunks) all += part;
  assert.ok(all.endsWith("a,b\nb\ufffd\n"));
});

test("a UTF-8 file but for a few bytes is UTF-8; a file of Windows-1252 accents is not", async () => {
  const mostly = Buffer.concat([Buffer.from("email,name\nzoe@example.com,Zoë Ünal\nli@example.cn,李\n"), Buffer.from([0x62, 0xe9, 0x0a])]);
  assert.equal(sniffEncoding(mostly, true), "utf-8");
  assert.equal(await scanEncoding(Readable.from([mostly.subarray(0, 20), mostly.subarray(20)])), "utf-8");
  assert.equal(sniffEncoding(fixtureBytes("windows-1252.csv"), true), "windows-1252");
  assert.equal(await scanEncoding(Readable.from([fixtureBytes("windows-1252.csv")])), "windows-1252");
  // Plain ASCII with one stray byte is a Windows-1252 file that has one accent.
  assert.equal(sniffEncoding(Buffer.from([0x52, 0x65, 0x6e, 0xe9, 0x0a]), true), "windows-1252");
});

test("openTextStream decodes characters split across chunks", async () => {
  const bytes = fixtureBytes("utf16le-bom.csv");
  const chunks = [...bytes].map((b) => Buffer.from([b]));
  const text = await openTextStream(Readable.from(chunks), { encoding: "utf-16le" });
  let all = "";
  for await (const part of text.chunks) all += part;
  assert.equal(all, decodeBytes(bytes).text);
  assert.ok(all.startsWith("Email;Prénom\r\n"));
});
