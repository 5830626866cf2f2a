// Checks of single API fields. REST bodies carry booleans and integers as strings too
// ("mute": "true", "callbackTimeout": "2000" in the Conference API examples), so both forms pass.
import { InvalidArgumentError } from './errors.ts';

/** A plain object of fields, as an API call or a JSON body gives it. */
export type Fields = Record<string, unknown>;

/** `value` as a plain object, or InvalidArgumentError naming `what`. */
export function checkFields(value: unknown, what: string): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object`);
  }
  return value as Fields;
}

/** Refuses any key of `fields` that is not in `known`, naming the known ones. */
export function refuseUnknownFields(fields: Fields, known: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(fields)) {
    if (!known.has(key)) {
      throw new InvalidArgumentError(`unknown ${what} field '${key}'; known fields: ${[...known].join(', ')}`);
    }
  }
}

/**
 * The value given under any of `names` (a seed name and its aliases), or undefined. Two names
 * given with different values are refused, so an alias never silently loses.
 */
export function pickField(fields: Fields, names: readonly string[]): { name: string; value: unknown } | undefined {
  let found: { name: string; value: unknown } | undefined;
  for (const name of names) {
    if (!Object.hasOwn(fields, name) || fields[name] === undefined) continue;
    const value = fields[name];
    if (found && !sameValue(found.value, value)) {
      throw new InvalidArgumentError(`'${found.name}' and '${name}' name the same field with different values`);
    }
    found ??= { name, value };
  }
  return found;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** A boolean, or the strings 'true' and 'false'. */
export function toBoolean(value: unknown, name: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new InvalidArgumentError(`${name} must be a boolean, got ${describe(value)}`);
}

/** An integer in [min, max], or a string of its decimal digits. */
export function toInteger(value: unknown, name: string, min: number, max: number): number {
  const number = typeof value === 'string' && /^-?\d{1,10}$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return number;
}

/** One of `allowed` (numbers may come as their decimal strings). */
export function toOneOf<T extends string | number>(value: unknown, name: string, allowed: readonly T[]): T {
  const candidate = typeof value === 'string' && typeof allowed[0] === 'number' && /^\d+$/.test(value) ? Number(value) : value;
  if (!(allowed as readonly unknown[]).includes(candidate)) {
    throw new InvalidArgumentError(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(value)}`);
  }
  return candidate as T;
}

/** A string of `min`..`max` characters. */
export function toText(value: unknown, name: string, min: number, max: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new InvalidArgumentError(`${name} must be a string of ${min} to ${max} characters, got ${describe(value)}`);
  }
  return value;
}

/** An absolute http(s) URL. */
export function toHttpUrl(value: unknown, name: string): string {
  const text = toText(value, name, 1, 2048);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`${name} must be an absolute http(s) URL, got ${describe(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`${name} must be an http(s) URL, got ${describe(value)}`);
  }
  return text;
}

/** A short, printable rendering of a bad value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Longest tag, characters. */
export const TAG_MAX_CHARS = 256;

/** Checks a tag: text of 0..256 characters. */
export function tagValue(value: unknown, name: string): string {
  return toText(value, name, 0, TAG_MAX_CHARS);
}

/** Sets an optional field, or deletes it for null. */
export function setOptional<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | null): void {
  if (value === null) delete target[key];
  else target[key] = value;
}

/** `appData` as given, or a fresh object; InvalidArgumentError when it is not an object. */
export function checkAppData(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError('appData must be an object');
  return value as Record<string, unknown>;
}
