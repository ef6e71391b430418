/**
 * Shell-style wildcards as Python's `fnmatch` reads them: `*` (any run), `?` (one character),
 * `[seq]` and `[!seq]`. Matching is case-sensitive and covers the whole name.
 */

/** True when the pattern has a wildcard, i.e. it can match more than its literal self. */
export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/** Translate an fnmatch pattern into an anchored regular expression. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    i++;
    if (c === "*") {
      out += "[\\s\\S]*";
    } else if (c === "?") {
      out += "[\\s\\S]";
    } else if (c === "[") {
      // A "]" right after "[" or "[!" is a member of the set, not its end.
      let j = i;
      if (pattern[j] === "!") j++;
      if (pattern[j] === "]") j++;
      while (j < pattern.length && pattern[j] !== "]") j++;
      if (j >= pattern.length) {
        out += "\\[";
        continue;
      }
      let body = pattern.slice(i, j);
      i = j + 1;
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      const members = body.replace(/[\\^\]]/g, "\\$&");
      out += negate ? `[^${members}]` : `[${members}]`;
    } else {
      out += escapeRegExp(c);
    }
  }
  return new RegExp(`^${out}$`);
}

/** Whether `name` matches the fnmatch `pattern` as a whole. */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchToRegExp(pattern).test(name);
}
