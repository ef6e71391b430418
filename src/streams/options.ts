/** Reading a stream's string options into typed values, with errors that name the option. */
import { parseBool, parseInteger } from "../config/values.js";
import { StreamOptionError } from "./types.js";

/** A stream's options as the config gives them (strings), read with typed accessors. */
export class StreamOptions {
  constructor(private readonly raw: Record<string, string>) {}

  string(key: string): string | undefined {
    const value = this.raw[key];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  }

  integer(key: string, fallback: number, min = 0): number {
    const text = this.string(key);
    if (text === undefined) return fallback;
    const value = this.convert(key, () => parseInteger(text));
    if (value < min) throw new StreamOptionError(key, `must be at least ${min}, got ${value}`);
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const text = this.string(key);
    return text === undefined ? fallback : this.convert(key, () => parseBool(text));
  }

  private convert<T>(key: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw new StreamOptionError(key, (error as Error).message);
    }
  }
}
