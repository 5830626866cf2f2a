// Users and their credentials: HTTP Basic token:secret names one user, and a header that
// authenticated once is remembered without letting any other header through.
import { describe, expect, it } from 'vitest';
import { UserRegistry } from '../../src/http/users.ts';

const limits = { conferences: 0, members: 0, requestsPerSecond: 0 };
const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('http users', () => {
  const registry = new UserRegistry([{ userId: 'alice', token: 'ta', secret: 'sa' }, { userId: 'bob', token: 'tb', secret: 'sb' }], limits);

  it('names the user of valid credentials, again and again, and refuses the wrong ones after them', () => {
    for (let i = 0; i < 3; i++) {
      expect(registry.authenticate(basic('ta:sa'), 'alice').userId).toBe('alice');
      expect(registry.authenticate(basic('tb:sb'), undefined).userId).toBe('bob');
      expect(() => registry.authenticate(basic('ta:sb'), 'alice')).toThrow(expect.objectContaining({ statusCode: 401 }));
      expect(() => registry.authenticate(basic('ta:sa '), 'alice')).toThrow(expect.objectContaining({ statusCode: 401 }));
      expect(() => registry.authenticate(undefined, 'alice')).toThrow(expect.objectContaining({ statusCode: 401 }));
      expect(() => registry.authenticate('Bearer ta:sa', 'alice')).toThrow(expect.objectContaining({ statusCode: 401 }));
    }
  });

  it("answers 404 when valid credentials ask for another user's path, remembered or not", () => {
    expect(() => registry.authenticate(basic('ta:sa'), 'bob')).toThrow(expect.objectContaining({ statusCode: 404 }));
    expect(registry.authenticate(basic('ta:sa'), 'alice').userId).toBe('alice');
    expect(() => registry.authenticate(basic('ta:sa'), 'bob')).toThrow(expect.objectContaining({ statusCode: 404 }));
  });

  it('stays correct past the number of headers it remembers', () => {
    // The same credentials in many spellings (extra spaces after the base64) fill the memory.
    for (let i = 0; i < 2100; i++) expect(registry.authenticate(`${basic('tb:sb')}${' '.repeat(i % 50)}`.replace('Basic ', `Basic${' '.repeat(1 + Math.floor(i / 50))}`), 'bob').userId).toBe('bob');
    expect(registry.authenticate(basic('ta:sa'), 'alice').userId).toBe('alice');
    expect(() => registry.authenticate(basic('tb:sa'), 'bob')).toThrow(expect.objectContaining({ statusCode: 401 }));
  });
});
