/**
 * decodingStrategy and nullBytePolicy, as ESO applies them to each value.
 *   Base64    standard alphabet, padded; CR and LF are ignored
 *   Base64URL URL alphabet, padded
 *   Auto      Base64, else Base64URL, else the value unchanged
 *   None/""   unchanged
 */
import { InvalidDataError, InvalidSpecError } from '../../util/errors.ts';

export type DecodingStrategy = 'Auto' | 'Base64' | 'Base64URL' | 'None';

const std = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const url = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;

function strictDecode(value: Uint8Array, alphabet: RegExp, encoding: 'base64' | 'base64url', stripNewlines: boolean): Uint8Array | undefined {
  let text = Buffer.from(value).toString('latin1');
  if (stripNewlines) text = text.replace(/[\r\n]/g, '');
  if (!alphabet.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, encoding));
}

export function decodeValue(value: Uint8Array, strategy: DecodingStrategy | undefined, what: string): Uint8Array {
  switch (strategy) {
    case undefined:
    case 'None':
      return value;
    case 'Base64': {
      const out = strictDecode(value, std, 'base64', true);
      if (!out) throw new InvalidDataError(`${what}: value is not valid base64 (decodingStrategy: Base64)`);
      return out;
    }
    case 'Base64URL': {
      const out = strictDecode(value, url, 'base64url', false);
      if (!out) throw new InvalidDataError(`${what}: value is not valid base64url (decodingStrategy: Base64URL)`);
      return out;
    }
    case 'Auto':
      return strictDecode(value, std, 'base64', true) ?? strictDecode(value, url, 'base64url', false) ?? value;
    default:
      throw new InvalidSpecError(`${what}: unknown decodingStrategy "${String(strategy)}"; use Auto, Base64, Base64URL or None`);
  }
}

export function checkNullBytes(value: Uint8Array, policy: 'Ignore' | 'Fail' | undefined, what: string): void {
  if (policy === 'Fail' && value.includes(0)) {
    throw new InvalidDataError(`${what}: value contains a NUL byte and nullBytePolicy is Fail`);
  }
}
