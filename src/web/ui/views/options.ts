/** `#/d/ID/options`: the arbiter's global options (`GET /api/daemons/ID/options`). */
import { api } from "../api.ts";
import { attempt, type Context, type View } from "../context.ts";
import { h, replace } from "../dom.ts";

/** Builds the view. */
export function optionsView(ctx: Context, daemon: string): View {
  const dl = h("dl", { class: "options", "data-testid": "options" });
  void attempt(ctx, async () => {
    const options = await api.options(daemon);
    replace(
      dl,
      ...Object.keys(options)
        .sort()
        .flatMap((k) => [
          h("dt", {}, k),
          h(
            "dd",
            { "data-testid": `option-${k}` },
            typeof options[k] === "string" ? (options[k] as string) : JSON.stringify(options[k]),
          ),
        ]),
    );
  });
  const el = h(
    "div",
    { class: "view" },
    h(
      "h2",
      {},
      h("a", { href: `#/d/${encodeURIComponent(daemon)}` }, `Daemon ${daemon}`),
      " / Global options",
    ),
    dl,
  );
  return { el };
}
