/**
 * `POST /api/daemons/:id/watchers`: the form's fields checked one by one (400 with
 * `fields` naming each bad one) and turned into circusd's `add` properties.
 */
import { HttpError } from "./http-util.js";

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The `add` command's properties for a form body.
 *
 * @throws HttpError 400 `{"error","fields":{...}}` listing every bad field.
 */
export function addProperties(body: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, string> = {};
  const { name, cmd, args, numprocesses, working_dir, env, autostart, start } = body;
  if (typeof name !== "string" || !NAME.test(name))
    fields.name = "expected a name of letters, digits, '_', '.' or '-'";
  if (typeof cmd !== "string" || cmd.trim() === "") fields.cmd = "expected a command";
  if (args !== undefined && typeof args !== "string" && !isStrings(args))
    fields.args = "expected a string or a list of strings";
  if (
    numprocesses !== undefined &&
    !(Number.isInteger(numprocesses) && (numprocesses as number) >= 0)
  )
    fields.numprocesses = "expected a whole number >= 0";
  if (working_dir !== undefined && (typeof working_dir !== "string" || working_dir === ""))
    fields.working_dir = "expected a directory";
  if (
    env !== undefined &&
    (typeof env !== "object" ||
      env === null ||
      Array.isArray(env) ||
      !Object.values(env).every((v) => typeof v === "string"))
  )
    fields.env = "expected an object of strings";
  if (autostart !== undefined && typeof autostart !== "boolean")
    fields.autostart = "expected true or false";
  if (start !== undefined && typeof start !== "boolean") fields.start = "expected true or false";
  const bad = Object.keys(fields);
  if (bad.length > 0) throw new HttpError(400, `invalid ${bad.join(", ")}`, { fields });
  const options: Record<string, unknown> = {};
  if (numprocesses !== undefined) options.numprocesses = numprocesses;
  if (working_dir !== undefined) options.working_dir = working_dir;
  if (env !== undefined) options.env = env;
  // `add`, Circus's as ours, takes no autostart option: whether the new watcher starts is
  // its `start` property, which the form's "start it now" (autostart) says.
  return {
    name,
    cmd,
    ...(args !== undefined ? { args } : {}),
    options,
    start: start ?? autostart ?? true,
  };
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((x) => typeof x === "string");
}
