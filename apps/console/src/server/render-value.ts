/** How the message browser shows a key or value: text when it is UTF-8, pretty JSON when it parses, always hex. */
export interface RenderedBytes {
  size: number;
  /** UTF-8 text, or null when the bytes are not valid UTF-8 (binary). */
  text: string | null;
  /** Pretty-printed JSON when the text is a JSON object or array. */
  json: string | null;
  hex: string;
}

const MAX_HEX_BYTES = 64 * 1024;
const decoder = new TextDecoder('utf-8', { fatal: true });

export function renderBytes(buf: Buffer | null): RenderedBytes | null {
  if (buf === null) return null;
  let text: string | null;
  try {
    text = decoder.decode(buf);
  } catch {
    text = null;
  }
  let json: string | null = null;
  const trimmed = text?.trim() ?? '';
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      json = JSON.stringify(JSON.parse(trimmed), null, 2);
    } catch {
      json = null;
    }
  }
  const hexPart = buf.subarray(0, MAX_HEX_BYTES).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return { size: buf.length, text, json, hex: buf.length > MAX_HEX_BYTES ? `${hexPart} …` : hexPart };
}

/** Parses the producer form's value per its format: text as UTF-8, JSON validated then compacted, hex decoded. */
export function parseBytes(input: string | null | undefined, format: 'text' | 'json' | 'hex' = 'text'): Buffer | null {
  if (input === null || input === undefined) return null;
  if (format === 'json') {
    try {
      return Buffer.from(JSON.stringify(JSON.parse(input)));
    } catch (e) {
      throw new RangeError(`not valid JSON: ${(e as Error).message}`);
    }
  }
  if (format === 'hex') {
    const clean = input.replace(/\s+/g, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new RangeError('hex must be an even number of hex digits');
    return Buffer.from(clean, 'hex');
  }
  return Buffer.from(input, 'utf8');
}
