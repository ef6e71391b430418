import { readFileSync } from "node:fs";

/** Thrown when a user or group name is not in the system's databases. */
export class UnknownIdError extends Error {
  constructor(
    readonly kind: "user" | "group",
    readonly id: string,
  ) {
    super(`unknown ${kind} ${JSON.stringify(id)}`);
    this.name = "UnknownIdError";
  }
}

interface DbEntry {
  name: string;
  id: number;
  gid: number;
  home: string;
}

function readDb(file: string): DbEntry[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const entries: DbEntry[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const f = line.split(":");
    entries.push({ name: f[0] ?? "", id: Number(f[2]), gid: Number(f[3]), home: f[5] ?? "" });
  }
  return entries;
}

/** A uid from a number or a user name (from /etc/passwd). */
export function resolveUid(user: string | number): number {
  if (typeof user === "number") return user;
  if (/^\d+$/.test(user)) return Number(user);
  const entry = readDb("/etc/passwd").find((e) => e.name === user);
  if (!entry) throw new UnknownIdError("user", user);
  return entry.id;
}

/** A gid from a number or a group name (from /etc/group). */
export function resolveGid(group: string | number): number {
  if (typeof group === "number") return group;
  if (/^\d+$/.test(group)) return Number(group);
  const entry = readDb("/etc/group").find((e) => e.name === group);
  if (!entry) throw new UnknownIdError("group", group);
  return entry.id;
}

/** The passwd entry of a uid: its name, primary group and home, when it has one. */
export function userEntry(uid: number): { name: string; gid: number; home: string } | null {
  const entry = readDb("/etc/passwd").find((e) => e.id === uid);
  return entry ? { name: entry.name, gid: entry.gid, home: entry.home } : null;
}

/** The groups a user is in (its primary gid and every /etc/group entry naming it). */
export function supplementaryGroups(user: string, gid: number): number[] {
  const groups = new Set([gid]);
  let text = "";
  try {
    text = readFileSync("/etc/group", "utf8");
  } catch {
    return [...groups];
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 4 || line.startsWith("#")) continue;
    if ((f[3] ?? "").split(",").includes(user)) groups.add(Number(f[2]));
  }
  return [...groups];
}
