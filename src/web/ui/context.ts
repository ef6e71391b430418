/**
 * What every view gets: the session, the WebSocket, and the page's banners (daemon down / up,
 * API errors); and what a view gives back.
 */
import { ApiError, type Session } from "./api.ts";
import { h } from "./dom.ts";
import type { Socket } from "./ws.ts";

/** A mounted view: its element, and what to undo when the route changes. */
export interface View {
  el: HTMLElement;
  dispose?: () => void;
}

/** The page's shared state. */
export interface Context {
  session: Session;
  socket: Socket;
  banners: Banners;
  /** Whether control buttons are shown at all (a read-only user sees none). */
  admin: boolean;
}

/** The banners above the views. */
export class Banners {
  readonly el: HTMLDivElement;
  private readonly daemons = new Map<string, HTMLElement>();
  private readonly error: HTMLDivElement;

  constructor() {
    this.error = h("div", {
      class: "banner banner-error",
      "data-testid": "error-banner",
      role: "alert",
    });
    this.error.hidden = true;
    this.el = h("div", { class: "banners" }, this.error);
  }

  /** Says a daemon went down, or (for a few seconds) that it came back, or up. */
  daemon(id: string, state: "up" | "down", error?: string): void {
    // "Back" only after a "down" this page showed: a daemon just added is up for the first time.
    const back = this.daemons.get(id)?.dataset.state === "down";
    this.daemons.get(id)?.remove();
    const down = state === "down";
    const el = h(
      "div",
      {
        class: `banner ${down ? "banner-down" : "banner-up"}`,
        "data-testid": `daemon-banner-${id}`,
        "data-state": state,
        role: "status",
      },
      down
        ? `Daemon ${id} is down${error ? `: ${error}` : ""}`
        : `Daemon ${id} is ${back ? "back " : ""}up`,
    );
    this.daemons.set(id, el);
    this.el.append(el);
    if (!down)
      setTimeout(() => {
        if (this.daemons.get(id) === el) {
          el.remove();
          this.daemons.delete(id);
        }
      }, 5000);
  }

  /** Shows an error (an {@link ApiError}'s message, with what to do for a few statuses). */
  showError(e: unknown): void {
    let text = e instanceof Error ? e.message : String(e);
    if (e instanceof ApiError && e.status === 403 && /CSRF/i.test(text))
      text += " (reload the page)";
    this.error.replaceChildren(
      h("span", {}, text),
      h(
        "button",
        { class: "link", "data-testid": "error-dismiss", onclick: () => this.clearError() },
        "×",
      ),
    );
    this.error.hidden = false;
  }

  /** Hides the error banner. */
  clearError(): void {
    this.error.hidden = true;
  }
}

/** Runs an action, showing its error in the banner; resolves to whether it worked. */
export async function attempt(ctx: Context, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    ctx.banners.clearError();
    return true;
  } catch (e) {
    // The session expired (12 h idle) or the server restarted: back to the login form.
    if (e instanceof ApiError && e.status === 401) location.reload();
    ctx.banners.showError(e);
    return false;
  }
}
