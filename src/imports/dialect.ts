// Detects the delimiter of a CSV sample (comma, semicolon, tab or pipe); line endings need no detection, the parser accepts all three.
export type Delimiter = "," | ";" | "\t" | "|";

/** Candidates in order of preference when two fit the sample equally well. */
export const DELIMITERS: readonly Delimiter[] = [",", ";", "\t", "|"];

/**
 * Chooses the delimiter from the first logical lines of `sample`, ignoring anything inside
 * quotes (a quoted "Doe, Jane" in a semicolon file must not vote for the comma). The winner is
 * the candidate found in the header that splits the most lines into the header's column count;
 * ties go to the larger column count, then to DELIMITERS order. A sample with none of them is a
 * single-column file: comma.
 */
export function sniffDelimiter(sample: string, maxLines = 20): Delimiter {
  const lines = countPerLine(sample, maxLines);
  let best: Delimiter = ",";
  let bestScore = -1;
  let bestColumns = 0;
  DELIMITERS.forEach((delimiter, d) => {
    const header = lines[0]?.[d] ?? 0;
    if (header === 0) return;
    const matching = lines.filter((counts) => counts[d] === header).length;
    const score = matching / lines.length;
    if (score > bestScore || (score === bestScore && header > bestColumns)) {
      best = delimiter;
      bestScore = score;
      bestColumns = header;
    }
  });
  return best;
}

/**
 * Counts each candidate outside quotes on every non-blank logical line. A line cut off at the end
 * of the sample (no terminator) is dropped unless it is the only one.
 */
function countPerLine(sample: string, maxLines: number): number[][] {
  const lines: number[][] = [];
  let counts = [0, 0, 0, 0];
  let nonBlank = false;
  let inQuotes = false;
  for (let i = 0; i < sample.length && lines.length < maxLines; i++) {
    const c = sample[i];
    if (c === '"') {
      inQuotes = !inQuotes;
      nonBlank = true;
    } else if (inQuotes) {
      continue;
    } else if (c === "\n" || c === "\r") {
      if (nonBlank) lines.push(counts);
      counts = [0, 0, 0, 0];
      nonBlank = false;
    } else {
      const d = DELIMITERS.indexOf(c as Delimiter);
      if (d !== -1) counts[d]!++;
      if (c !== " ") nonBlank = true;
    }
  }
  if (nonBlank && lines.length === 0) lines.push(counts);
  return lines;
}
