/**
 * A tiny element builder: the page sets no HTML strings at all (text goes in as text nodes),
 * so user data cannot become markup, and nothing inline trips the CSP.
 */

/** Attributes: `class`, `data-*`, `aria-*`, form attributes; `on*` are listeners. */
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** A child: a node, a text, or nothing (skipped, so conditionals read inline). */
export type Child = Node | string | number | null | undefined | false;

/** Creates `<tag attrs>children</tag>`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in el) (el as HTMLInputElement).value = String(value);
    else if (key === "checked" && el instanceof HTMLInputElement) el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, skipping the empty ones. */
export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A figure as the page shows it: one decimal, or a dash for none / "N/A". */
export function fmt(n: unknown, digits = 1): string {
  return typeof n === "number" && Number.isFinite(n) ? n.toFixed(digits) : "–";
}

/** Seconds as `3d 4h`, `5m 12s`, `40s`. */
export function fmtAge(s: unknown): string {
  if (typeof s !== "number" || !Number.isFinite(s)) return "–";
  const sec = Math.floor(s);
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ${sec % 60}s`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ${Math.floor((sec % 3600) / 60)}m`;
  return `${Math.floor(sec / 86400)}d ${Math.floor((sec % 86400) / 3600)}h`;
}
