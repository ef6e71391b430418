/**
 * Z85 (ZeroMQ RFC 32), the text form of CURVE keys: 32 bytes as 40 printable characters.
 */
const ALPHABET =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Encodes bytes (a multiple of 4 long) as Z85. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError("z85: length must be a multiple of 4");
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value =
      ((bytes[i] as number) * 2 ** 24 +
        ((bytes[i + 1] as number) << 16) +
        ((bytes[i + 2] as number) << 8) +
        (bytes[i + 3] as number)) >>>
      0;
    let chunk = "";
    for (let j = 0; j < 5; j++) {
      chunk = ALPHABET[value % 85] + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

/** Decodes Z85 text (a multiple of 5 long), or returns null when it is not Z85. */
export function z85Decode(text: string): Buffer | null {
  if (text.length % 5 !== 0) return null;
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = DECODE.get(text[i + j] as string);
      if (digit === undefined) return null;
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) return null;
    out.writeUInt32BE(value, (i / 5) * 4);
  }
  return out;
}

/** True for a CURVE key in Z85: 40 characters that decode to 32 bytes. */
export function isZ85Key(text: string): boolean {
  return text.length === 40 && z85Decode(text) !== null;
}
