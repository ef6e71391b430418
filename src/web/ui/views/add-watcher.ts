/**
 * `#/d/ID/add`: the add-watcher form. It checks what it can before sending (a name, a
 * command, a whole number of processes) and shows the server's 400 `fields` next to their
 * inputs, as `error-FIELD`.
 */
import { api, ApiError } from "../api.ts";
import type { Context, View } from "../context.ts";
import { h } from "../dom.ts";

const FIELDS = ["name", "cmd", "args", "numprocesses", "working_dir", "autostart"] as const;
type Field = (typeof FIELDS)[number];

/** The form's values, checked; the errors by field, empty when it may be sent. */
export function validate(v: Record<Field, string | boolean>): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = String(v.name).trim();
  if (!name) errors.name = "a name is required";
  else if (!/^[\w.-]+$/.test(name)) errors.name = "letters, digits, '.', '-' and '_' only";
  if (!String(v.cmd).trim()) errors.cmd = "a command is required";
  const n = String(v.numprocesses).trim();
  if (n !== "" && !/^\d+$/.test(n)) errors.numprocesses = "expected a whole number >= 0";
  const dir = String(v.working_dir).trim();
  if (dir !== "" && !dir.startsWith("/")) errors.working_dir = "expected an absolute path";
  return errors;
}

/** Builds the view (for an admin; the router sends a read-only user elsewhere). */
export function addWatcherView(_ctx: Context, daemon: string): View {
  const inputs = {
    name: h("input", { name: "name", required: true, "data-testid": "field-name" }),
    cmd: h("input", {
      name: "cmd",
      required: true,
      placeholder: "/usr/bin/python3",
      "data-testid": "field-cmd",
    }),
    args: h("input", {
      name: "args",
      placeholder: "-m http.server $(circus.wid)",
      "data-testid": "field-args",
    }),
    numprocesses: h("input", {
      name: "numprocesses",
      inputmode: "numeric",
      value: "1",
      "data-testid": "field-numprocesses",
    }),
    working_dir: h("input", {
      name: "working_dir",
      placeholder: "/srv/app",
      "data-testid": "field-working_dir",
    }),
    autostart: h("input", {
      name: "autostart",
      type: "checkbox",
      checked: true,
      "data-testid": "field-autostart",
    }),
  };
  const labels: Record<Field, string> = {
    name: "Name",
    cmd: "Command",
    args: "Arguments",
    numprocesses: "Processes",
    working_dir: "Working directory",
    autostart: "Start it now",
  };
  const errors = Object.fromEntries(
    FIELDS.map((f) => [f, h("span", { class: "error", "data-testid": `error-${f}` })]),
  ) as Record<Field, HTMLSpanElement>;
  const formError = h("p", { class: "error", "data-testid": "form-error", role: "alert" });
  const submit = h(
    "button",
    { type: "submit", "data-testid": "add-watcher-submit" },
    "Add watcher",
  );
  const form = h(
    "form",
    { class: "add-watcher", "data-testid": "add-watcher-form", novalidate: true },
    ...FIELDS.map((f) =>
      h("label", { class: f === "autostart" ? "check" : "" }, labels[f], inputs[f], errors[f]),
    ),
    submit,
    formError,
  );

  const show = (given: Record<string, string>): void => {
    // The checkbox sends `start`: its errors belong next to it.
    const errs = { ...given };
    if (errs.start !== undefined) {
      errs.autostart ??= errs.start;
      delete errs.start;
    }
    for (const f of FIELDS) {
      errors[f].textContent = errs[f] ?? "";
      inputs[f].toggleAttribute("aria-invalid", Boolean(errs[f]));
    }
    // A field the form does not have (env, start...) still has to be said somewhere.
    const other = Object.entries(errs).filter(([f]) => !(FIELDS as readonly string[]).includes(f));
    formError.textContent = other.map(([f, e]) => `${f}: ${e}`).join("; ");
  };

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const values = {
      name: inputs.name.value,
      cmd: inputs.cmd.value,
      args: inputs.args.value,
      numprocesses: inputs.numprocesses.value,
      working_dir: inputs.working_dir.value,
      autostart: inputs.autostart.checked,
    };
    const errs = validate(values);
    show(errs);
    if (Object.keys(errs).length > 0) return;
    const body: Record<string, unknown> = {
      name: values.name.trim(),
      cmd: values.cmd.trim(),
      // The checkbox is `add`'s `start` (start it now).
      start: values.autostart,
    };
    if (values.args.trim()) body.args = values.args.trim();
    if (values.numprocesses.trim()) body.numprocesses = Number(values.numprocesses);
    if (values.working_dir.trim()) body.working_dir = values.working_dir.trim();
    submit.disabled = true;
    api
      .addWatcher(daemon, body)
      .then(
        () =>
          (location.hash = `#/d/${encodeURIComponent(daemon)}/w/${encodeURIComponent(values.name.trim())}`),
        (e: unknown) => {
          if (e instanceof ApiError && Object.keys(e.fields).length > 0) show(e.fields);
          formError.textContent = [
            formError.textContent,
            e instanceof Error ? e.message : String(e),
          ]
            .filter(Boolean)
            .join(" — ");
        },
      )
      .finally(() => (submit.disabled = false));
  });

  const el = h(
    "div",
    { class: "view" },
    h(
      "h2",
      {},
      h("a", { href: `#/d/${encodeURIComponent(daemon)}` }, `Daemon ${daemon}`),
      " / Add a watcher",
    ),
    form,
  );
  queueMicrotask(() => inputs.name.focus());
  return { el };
}
