import assert from "node:assert/strict";
import { test } from "node:test";
import { convertRowEnds } from "../../src/exports/run";

test("row ends become CRLF outside quotes only, whatever the chunk boundaries", () => {
  const copy = 'a,"line\nbreak"\nb,"say ""hi""\n"\nc,plain\n';
  const expected = 'a,"line\nbreak"\r\nb,"say ""hi""\n"\r\nc,plain\r\n';
  for (let size = 1; size <= copy.length; size++) {
    const state = { inQuotes: false };
    let out = "";
    let rows = 0;
    for (let i = 0; i < copy.length; i += size) {
      const r = convertRowEnds(Buffer.from(copy.slice(i, i + size)), state, true);
      out += r.data.toString();
      rows += r.rows;
    }
    assert.equal(out, expected, `chunks of ${size}`);
    assert.equal(rows, 3);
  }
  const tsv = convertRowEnds(Buffer.from(copy), { inQuotes: false }, false);
  assert.equal(tsv.data.toString(), copy, "TSV keeps LF");
  assert.equal(tsv.rows, 3);
});
