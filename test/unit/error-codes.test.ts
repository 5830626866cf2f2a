// One table of error codes: the native core's (native/core/status.h) and the public ErrorCode
// list the same codes under the same keys, and a native error keeps its code in TypeScript.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCode, toConfmixError } from '../../src/errors.ts';

const header = readFileSync(new URL('../../native/core/status.h', import.meta.url), 'utf8');

/** The X(enumerator, "CODE", key) rows of CONFMIX_ERROR_CODES. */
function nativeCodes(): Array<{ code: string; key: string }> {
  const table = header.slice(header.indexOf('#define CONFMIX_ERROR_CODES(X)'), header.indexOf('enum class StatusCode'));
  return [...table.matchAll(/X\(k\w+,\s*"(ERR_[A-Z_]+)",\s*(\w+)\)/g)].map((m) => ({ code: m[1], key: m[2] }));
}

describe('error codes', () => {
  it('lists every native code in the public ErrorCode under its key', () => {
    const rows = nativeCodes();
    expect(rows.length).toBeGreaterThanOrEqual(6);
    expect(rows.map((r) => r.code)).toContain('ERR_PORTS_EXHAUSTED');
    for (const { code, key } of rows) expect((ErrorCode as Record<string, string>)[key]).toBe(code);
    expect(new Set(Object.values(ErrorCode)).size).toBe(Object.values(ErrorCode).length);
  });

  it('lists every code the TypeScript raises', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const raised = new Set<string>();
    for (const file of files) {
      for (const m of readFileSync(join(src, file), 'utf8').matchAll(/'(ERR_[A-Z_]+)'/g)) raised.add(m[1]);
    }
    expect(raised.size).toBeGreaterThan(5);
    const known = new Set<string>(Object.values(ErrorCode));
    expect([...raised].filter((code) => !known.has(code))).toEqual([]);
  });

  it('keeps a native code on the typed error', () => {
    const native = Object.assign(new Error('no port is free'), { code: 'ERR_PORTS_EXHAUSTED' });
    const error = toConfmixError(native);
    expect(error.code).toBe(ErrorCode.portsExhausted);
    expect(error.message).toBe('no port is free');
  });
});
