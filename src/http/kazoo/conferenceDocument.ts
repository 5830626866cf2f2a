// A Kazoo conference document: checked field by field against the conferences schema (and its
// profile object), with the schema's defaults filled in. Each invalid field is named with the
// rule it broke, as Kazoo's crossbar names them (`type`, `minLength`, `maxLength`, `minimum`,
// `enum`), so a client sees every problem of a request at once.

/** One broken rule of one field: `{ field: { rule: { message, target? } } }`. */
export type ValidationErrors = Record<string, Record<string, { message: string; target?: unknown; value?: unknown }>>;

/** The DTMF key maps a document may name in `caller_controls`/`caller-controls`. */
export const CALLER_CONTROL_MAPS = ['default'] as const;
/** The DTMF key maps a document may name in `moderator_controls`/`moderator-controls`. */
export const MODERATOR_CONTROL_MAPS = ['default', 'moderator-default'] as const;
/** Sample rates the mixer runs at. */
const RATES = [8000, 16000, 24000, 32000, 48000];
/** Frame intervals the mixer runs at. */
const INTERVALS = [10, 20, 40, 60];

type Rule = (value: unknown, field: string, errors: ValidationErrors) => unknown;

function fail(errors: ValidationErrors, field: string, rule: string, message: string, target?: unknown): undefined {
  (errors[field] ??= {})[rule] = target === undefined ? { message } : { message, target };
  return undefined;
}

const string = (min = 0, max = Infinity): Rule => (value, field, errors) => {
  if (typeof value !== 'string') return fail(errors, field, 'type', 'Value is not of type string', 'string');
  if (value.length < min) return fail(errors, field, 'minLength', `String must be at least ${min} characters`, min);
  if (value.length > max) return fail(errors, field, 'maxLength', `String must not exceed ${max} characters`, max);
  return value;
};
const exactString = (length: number): Rule => (value, field, errors) => {
  if (typeof value !== 'string') return fail(errors, field, 'type', 'Value is not of type string', 'string');
  if (value.length !== length) return fail(errors, field, value.length < length ? 'minLength' : 'maxLength', `String must be exactly ${length} characters`, length);
  return value;
};
const boolean: Rule = (value, field, errors) => (typeof value === 'boolean' ? value : fail(errors, field, 'type', 'Value is not of type boolean', 'boolean'));
const integer = (min = 0, max = Number.MAX_SAFE_INTEGER, allowed?: number[]): Rule => (value, field, errors) => {
  if (typeof value !== 'number' || !Number.isInteger(value)) return fail(errors, field, 'type', 'Value is not of type integer', 'integer');
  if (allowed && !allowed.includes(value)) return fail(errors, field, 'enum', `Value not found in enumerated list of values: ${allowed.join(', ')}`, allowed);
  if (value < min) return fail(errors, field, 'minimum', `Value must be at least ${min}`, min);
  if (value > max) return fail(errors, field, 'maximum', `Value must be at most ${max}`, max);
  return value;
};
const oneOf = (names: readonly string[]): Rule => (value, field, errors) => {
  if (typeof value !== 'string') return fail(errors, field, 'type', 'Value is not of type string', 'string');
  return names.includes(value) ? value : fail(errors, field, 'enum', `Value not found in enumerated list of values: ${names.join(', ')}`, names);
};
const boolOrString: Rule = (value, field, errors) => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && value.length > 0) return value;
  return fail(errors, field, 'type', 'Value is not of type boolean or a non-empty string', ['boolean', 'string']);
};
const stringArray: Rule = (value, field, errors) => {
  if (!Array.isArray(value)) return fail(errors, field, 'type', 'Value is not of type array', 'array');
  let ok = true;
  value.forEach((item, i) => {
    if (typeof item !== 'string') ok = fail(errors, `${field}.${i}`, 'type', 'Value is not of type string', 'string') ?? false;
  });
  return ok ? value : undefined;
};
const object: Rule = (value, field, errors) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? value : fail(errors, field, 'type', 'Value is not of type object', 'object');

// The role objects `member` and `moderator`, with their defaults.
const ROLE_FIELDS: Record<string, Rule> = {
  join_deaf: boolean,
  join_muted: boolean,
  numbers: stringArray,
  pins: stringArray,
  play_entry_prompt: boolean,
};
const ROLE_DEFAULTS = {
  member: { join_deaf: false, join_muted: true, numbers: [], pins: [] },
  moderator: { join_deaf: false, join_muted: false, numbers: [], pins: [] },
};

// conferences.profile: the keys the mixer runs with get the mixer's ranges.
const PROFILE_FIELDS: Record<string, Rule> = {
  'alone-sound': string(1),
  'announce-count': integer(0),
  'caller-controls': oneOf(CALLER_CONTROL_MAPS),
  'comfort-noise': integer(0, 100000),
  'energy-level': integer(0, 32767),
  'enter-sound': string(1),
  'exit-sound': string(1),
  interval: integer(0, 60, INTERVALS),
  'locked-sound': string(1),
  'max-members': integer(0),
  'max-members-sound': string(1),
  'moderator-controls': oneOf(MODERATOR_CONTROL_MAPS),
  'moh-sound': string(1),
  'muted-sound': string(1),
  rate: integer(0, 48000, RATES),
  'unmuted-sound': string(1),
};

const TOP_FIELDS: Record<string, Rule> = {
  bridge_password: string(),
  bridge_username: string(),
  caller_controls: oneOf(CALLER_CONTROL_MAPS),
  conference_numbers: stringArray,
  controls: object,
  domain: string(),
  focus: string(),
  language: string(),
  max_members_media: string(1),
  max_participants: integer(0),
  moderator_controls: oneOf(MODERATOR_CONTROL_MAPS),
  name: string(1, 128),
  owner_id: exactString(32),
  play_entry_tone: boolOrString,
  play_exit_tone: boolOrString,
  play_name: boolean,
  play_welcome: boolean,
  profile_name: string(),
  require_moderator: boolean,
  wait_for_moderator: boolean,
};

function checkFields(input: Record<string, unknown>, rules: Record<string, Rule>, prefix: string, errors: ValidationErrors): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const rule = rules[key];
    // Kazoo keeps fields it does not know (custom data); private ones (`_x`, `pvt_x`) are its own.
    if (key.startsWith('_') || key.startsWith('pvt_')) continue;
    if (rule === undefined) {
      out[key] = value;
      continue;
    }
    const checked = rule(value, `${prefix}${key}`, errors);
    if (checked !== undefined) out[key] = checked;
  }
  return out;
}

/** Checks a whole document; the stored form (defaults filled in) or every broken rule. */
export function validateConferenceDocument(input: unknown): { document: Record<string, unknown> } | { errors: ValidationErrors } {
  const errors: ValidationErrors = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { errors: { data: { type: { message: 'Value is not of type object', target: 'object' } } } };
  }
  const fields = input as Record<string, unknown>;
  const document = checkFields(fields, TOP_FIELDS, '', errors);
  for (const role of ['member', 'moderator'] as const) {
    const value = fields[role] ?? {};
    if (object(value, role, errors) === undefined) continue;
    document[role] = { ...ROLE_DEFAULTS[role], ...checkFields(value as Record<string, unknown>, ROLE_FIELDS, `${role}.`, errors) };
  }
  if (fields.profile !== undefined && object(fields.profile, 'profile', errors) !== undefined) {
    document.profile = checkFields(fields.profile as Record<string, unknown>, PROFILE_FIELDS, 'profile.', errors);
  }
  document.conference_numbers ??= [];
  document.play_name ??= false;
  return Object.keys(errors).length > 0 ? { errors } : { document };
}

/** Merges a PATCH into a stored document: objects merge key by key, anything else replaces. */
export function mergeDocument(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    const bothObjects = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = bothObjects(current) && bothObjects(value) ? mergeDocument(current, value) : value;
  }
  return out;
}
