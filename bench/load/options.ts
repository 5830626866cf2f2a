// Command-line options of the load benchmark, and the rooms they ask for.

/** The codecs a load room can use. */
export type LoadCodec = 'pcmu' | 'opus';

/** One run: `rooms` conferences of `members` each (one on one shard by default; with --rooms,
 *  spread over the engine's shards), fed by one generator process. */
export interface LoadRoom {
  /** The codec of every member's leg. */
  codec: LoadCodec;
  /** Members in each room (one RTP leg each). */
  members: number;
  /** Members of each room sending a tone; the rest send silence (PCMU), DTX or noise (Opus). */
  talkers: number;
  /** Conferences; 0 with the default single room of one shard, else placed over the engine's shards. */
  rooms: number;
  /** Opus non-talkers send low-level noise (no DTX) instead of DTX packets. */
  noisy: boolean;
  /** The conferences' gate threshold (0: the gate is off, every member's noise passes). */
  energyLevel: number;
  /** The conferences' maxActiveTalkers; absent: the engine's default. */
  maxActiveTalkers?: number;
}

/** Everything a run needs. */
export interface LoadOptions {
  /** Rooms, run one after another, each in a fresh engine process. */
  rooms: LoadRoom[];
  /** Length of the measured window, seconds. */
  durationS: number;
  /** Time between the generator's start and the window, seconds. */
  warmupS: number;
  /** Conference sample rate, Hz; absent: PCMU 8000 (narrowband), Opus 16000 (the conference default). */
  rate?: number;
  /** Each member joins by SDP offer/answer, as from a gateway, instead of a leg spec. */
  sdp: boolean;
  /** No members: the engine with its shards started (and `rooms` empty conferences), measured idle. */
  idle: boolean;
}

/** Raised for a flag the benchmark does not understand or a value out of range. */
export class LoadOptionsError extends Error {
  /** Stable error code. */
  readonly code = 'ERR_INVALID_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'LoadOptionsError';
  }
}

/** The full matrix: PCMU 200/1000/3000 and Opus 100/500/1000 members. */
export const MATRIX: ReadonlyArray<{ codec: LoadCodec; members: number }> = [
  { codec: 'pcmu', members: 200 },
  { codec: 'pcmu', members: 1000 },
  { codec: 'pcmu', members: 3000 },
  { codec: 'opus', members: 100 },
  { codec: 'opus', members: 500 },
  { codec: 'opus', members: 1000 },
];

/** Most members a run may have: the engine's port range holds 5000 even ports. */
export const MAX_MEMBERS = 4500;
/** Most conferences one run may have. */
export const MAX_ROOMS = 1000;
/** The gate threshold of load rooms unless --energy-level says otherwise (the engine's default). */
export const DEFAULT_ENERGY_LEVEL = 100;
const CONFERENCE_RATES = [8000, 16000, 24000, 32000, 48000];

/** Talker count for a fraction of the members (rounded, at least one when the fraction is above 0). */
export function talkerCount(members: number, fraction: number): number {
  if (fraction === 0) return 0;
  return Math.min(members, Math.max(1, Math.round(members * fraction)));
}

function numberFlag(name: string, text: string | undefined, min: number, max: number, integer: boolean): number {
  if (text === undefined || text.startsWith('--')) throw new LoadOptionsError(`--${name} needs a value`);
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new LoadOptionsError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/**

/** A room's conference rate: PCMU at 8000, Opus at the conference default 16000, unless --rate overrides it. */
export function roomRate(codec: LoadCodec, rate: number | undefined): number {
  return rate ?? (codec === 'pcmu' ? 8000 : 16000);
}

/**
 * Parses `--codec pcmu|opus --members N --talkers F --duration S --warmup S --rate HZ --sdp
 * --rooms R --idle --noisy --energy-level N --max-active-talkers K`.
 * With neither --codec nor --members, every room of the matrix runs; with one of them, the
 * matrix rooms that match it run; with both, exactly that room (`--rooms R` of them). --idle
 * runs no members: the engine alone, with R empty conferences if --rooms is given.
 */
export function parseLoadArgs(args: readonly string[]): LoadOptions {
  let codec: LoadCodec | undefined;
  let members: number | undefined;
  let fraction = 0.1;
  let durationS = 10;
  let warmupS = 3;
  let rate: number | undefined;
  let sdp = false;
  let idle = false;
  let noisy = false;
  let rooms = 0;
  let energyLevel = DEFAULT_ENERGY_LEVEL;
  let maxActiveTalkers: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    switch (flag) {
      case '--sdp':
        sdp = true;
        continue; // takes no value
      case '--idle':
        idle = true;
        continue;
      case '--noisy':
        noisy = true;
        continue;
      case '--rooms':
        rooms = numberFlag('rooms', value, 1, MAX_ROOMS, true);
        break;
      case '--energy-level':
        energyLevel = numberFlag('energy-level', value, 0, 32767, true);
        break;
      case '--max-active-talkers':
        maxActiveTalkers = numberFlag('max-active-talkers', value, 0, 64, true);
        break;
      case '--codec':
        if (value !== 'pcmu' && value !== 'opus') throw new LoadOptionsError(`--codec must be pcmu or opus, got '${String(value)}'`);
        codec = value;
        break;
      case '--members':
        members = numberFlag('members', value, 1, MAX_MEMBERS, true);
        break;
      case '--talkers':
        fraction = numberFlag('talkers', value, 0, 1, false);
        break;
      case '--duration':
        durationS = numberFlag('duration', value, 1, 600, false);
        break;
      case '--warmup':
        warmupS = numberFlag('warmup', value, 1, 60, false);
        break;
      case '--rate':
        rate = numberFlag('rate', value, 8000, 48000, true);
        if (!CONFERENCE_RATES.includes(rate)) throw new LoadOptionsError(`--rate must be one of ${CONFERENCE_RATES.join(', ')}, got ${rate}`);
        break;
      default:
        throw new LoadOptionsError(
          `unknown flag '${flag}' (flags: --codec, --members, --talkers, --duration, --warmup, --rate, --sdp, --rooms, --idle, --noisy, --energy-level, --max-active-talkers)`,
        );
    }
    i++;
  }
  const shared = { rooms, noisy, energyLevel, ...(maxActiveTalkers === undefined ? {} : { maxActiveTalkers }) };
  if (sdp && rooms > 0) throw new LoadOptionsError('--sdp joins the members of one room: give it without --rooms');
  if (noisy && codec === 'pcmu') throw new LoadOptionsError('--noisy applies to Opus rooms (PCMU non-talkers always send noise)');
  let runs: LoadRoom[];
  if (idle) {
    if (members !== undefined || sdp) throw new LoadOptionsError('--idle runs no members: give neither --members nor --sdp');
    runs = [{ codec: codec ?? 'pcmu', members: 0, talkers: 0, ...shared }];
  } else if (codec !== undefined && members !== undefined) {
    runs = [{ codec, members, talkers: talkerCount(members, fraction), ...shared }];
  } else {
    runs = MATRIX.filter((room) => (codec === undefined || room.codec === codec) && (members === undefined || room.members === members)).map(
      (room) => ({ ...room, talkers: talkerCount(room.members, fraction), ...shared }),
    );
    if (runs.length === 0) throw new LoadOptionsError(`no matrix room has ${members} members; give --codec as well to run it`);
  }
  for (const run of runs) {
    if (Math.max(1, run.rooms) * run.members > MAX_MEMBERS) {
      throw new LoadOptionsError(`--rooms x --members must be at most ${MAX_MEMBERS}, got ${run.rooms} x ${run.members}`);
    }
  }
  return { rooms: runs, durationS, warmupS, sdp, idle, ...(rate === undefined ? {} : { rate }) };
}
