/**
 * A virtualized list: only the rows in view (plus a margin) exist in the DOM, recycled as the
 * list scrolls, so a watcher with 1000 processes costs ~30 row elements, and a stats update
 * rewrites only their texts.
 */
import { h } from "../dom.ts";

/** How a row is built once and filled for each item it shows. */
export interface RowRenderer<T> {
  /** A fresh, empty row element. */
  create(): HTMLElement;
  /** Fills a row with an item (the row may have shown another item before). */
  fill(row: HTMLElement, item: T, index: number): void;
}

/** The list; `el` goes in the page. */
export class VirtualList<T> {
  readonly el: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly window: HTMLDivElement;
  private readonly pool: HTMLElement[] = [];
  private items: readonly T[] = [];
  private frame = 0;

  constructor(
    private readonly rowHeight: number,
    private readonly renderer: RowRenderer<T>,
    testid: string,
  ) {
    this.window = h("div", { class: "vlist-window" });
    this.spacer = h("div", { class: "vlist-spacer" }, this.window);
    this.el = h("div", { class: "vlist", "data-testid": testid, role: "list" }, this.spacer);
    this.el.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.el);
  }

  /** Shows these items (the list keeps its scroll position). */
  setItems(items: readonly T[]): void {
    this.items = items;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    // CSSOM properties, not a style attribute: the CSP's style-src 'self' allows them.
    this.spacer.style.height = `${this.items.length * this.rowHeight}px`;
    const first = Math.max(0, Math.floor(this.el.scrollTop / this.rowHeight) - 5);
    const visible = Math.ceil((this.el.clientHeight || 400) / this.rowHeight) + 10;
    const last = Math.min(this.items.length, first + visible);
    this.window.style.transform = `translateY(${first * this.rowHeight}px)`;
    const count = last - first;
    while (this.pool.length < count) {
      const row = this.renderer.create();
      this.pool.push(row);
      this.window.append(row);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i]!;
      const item = this.items[first + i];
      if (i < count && item !== undefined) {
        row.hidden = false;
        this.renderer.fill(row, item, first + i);
      } else {
        // A spare row keeps no name: a test or a click must not find a pid that left.
        row.hidden = true;
        for (const named of [row, ...row.querySelectorAll<HTMLElement>("[data-testid]")])
          named.removeAttribute("data-testid");
      }
    }
  }
}
