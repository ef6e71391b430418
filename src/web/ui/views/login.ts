/** The login form, shown when `GET /api/session` answers 401. */
import { api, ApiError, type Session } from "../api.ts";
import { h } from "../dom.ts";

/** Builds the form; `onLogin` gets the new session. */
export function loginView(onLogin: (s: Session) => void): HTMLElement {
  const user = h("input", {
    name: "user",
    autocomplete: "username",
    required: true,
    "data-testid": "login-user",
  });
  const password = h("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    "data-testid": "login-password",
  });
  const error = h("p", { class: "error", "data-testid": "login-error", role: "alert" });
  const submit = h("button", { type: "submit", "data-testid": "login-submit" }, "Log in");
  const form = h(
    "form",
    { class: "login", "data-testid": "login-form" },
    h("h1", {}, "Circus"),
    h("label", {}, "User", user),
    h("label", {}, "Password", password),
    submit,
    error,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    api
      .login(user.value, password.value)
      .then(onLogin, (e: unknown) => {
        if (e instanceof ApiError && e.status === 429)
          error.textContent = `Too many failed logins: try again in ${e.retryAfter ?? "a minute"} s.`;
        else error.textContent = e instanceof Error ? e.message : String(e);
        password.value = "";
        password.focus();
      })
      .finally(() => (submit.disabled = false));
  });
  queueMicrotask(() => user.focus());
  return form;
}
