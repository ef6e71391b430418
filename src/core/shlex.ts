/** Thrown for an unterminated quote or a trailing backslash. */
export class ShlexError extends Error {
  override name = "ShlexError";
}

/**
 * Splits a command line like Python's `shlex.split` (POSIX mode), which is how Circus splits
 * `cmd` and `args`: whitespace separates words, single quotes are literal, double quotes allow
 * `\\`, `\"`, `\$` and `` \` `` escapes, and a backslash outside quotes escapes any character.
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError(`no closing quotation in ${JSON.stringify(text)}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length)
          throw new ShlexError(`no closing quotation in ${JSON.stringify(text)}`);
        const d = text[i] as string;
        if (d === '"') break;
        const next = text[i + 1];
        if (d === "\\" && next !== undefined && '\\"$`\n'.includes(next)) {
          word += next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === "\\") {
      const next = text[i + 1];
      if (next === undefined)
        throw new ShlexError(`no escaped character in ${JSON.stringify(text)}`);
      word += next;
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Quotes a word so that a POSIX shell reads it back unchanged. */
export function shellQuote(word: string): string {
  if (word !== "" && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}
