// The sounds a conference's profile names, loaded and resampled once when it is created, so a
// bad path or URL is refused up front and a join never waits for a fetch.
import { builtInTone } from '../audio/tones.ts';
import { loadAudio } from '../audio/audioSource.ts';
import { AudioSourceError } from '../audio/AudioSourceError.ts';
import type { ConferenceConfig, SoundName } from './conferenceFields.ts';

/** A conference's sounds as PCM at its rate. */
export interface ConferenceSounds {
  /** What others hear when a member with joinTone enters: play_entry_tone's file, enter-sound, or the built-in tone. */
  entry: Int16Array;
  /** What others hear when a member with leavingTone leaves: play_exit_tone's file, exit-sound, or the built-in tone. */
  exit: Int16Array;
  /** Each `*-sound` the profile names. */
  named: Partial<Record<SoundName, Int16Array>>;
}

/** Kazoo names of the sounds, for error messages. */
const KAZOO_NAMES: Record<SoundName, string> = {
  maxMembersSound: 'max-members-sound',
  enterSound: 'enter-sound',
  exitSound: 'exit-sound',
  mohSound: 'moh-sound',
  aloneSound: 'alone-sound',
  mutedSound: 'muted-sound',
  unmutedSound: 'unmuted-sound',
  lockedSound: 'locked-sound',
};

async function load(field: string, fileUrl: string, rate: number, timeoutMs: number): Promise<Int16Array> {
  try {
    return await loadAudio({ fileUrl }, rate, { timeoutMs });
  } catch (error) {
    if (error instanceof AudioSourceError) {
      throw new AudioSourceError(error.reason, error.source, `${field}: ${error.message}`, { status: error.status, cause: error });
    }
    throw error;
  }
}

/** Loads every sound of `config` at its rate; the first failure rejects, naming the field. */
export async function loadConferenceSounds(config: ConferenceConfig, timeoutMs: number): Promise<ConferenceSounds> {
  const rate = config.mixer.rate;
  const named: Partial<Record<SoundName, Int16Array>> = {};
  const jobs: Array<Promise<void>> = [];
  for (const [key, url] of Object.entries(config.sounds) as Array<[SoundName, string]>) {
    jobs.push(load(KAZOO_NAMES[key], url, rate, timeoutMs).then((pcm) => void (named[key] = pcm)));
  }
  let entryFile: Int16Array | undefined;
  let exitFile: Int16Array | undefined;
  if (typeof config.playEntryTone === 'string') {
    jobs.push(load('play_entry_tone', config.playEntryTone, rate, timeoutMs).then((pcm) => void (entryFile = pcm)));
  }
  if (typeof config.playExitTone === 'string') {
    jobs.push(load('play_exit_tone', config.playExitTone, rate, timeoutMs).then((pcm) => void (exitFile = pcm)));
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return {
    entry: entryFile ?? named.enterSound ?? builtInTone('entry', rate),
    exit: exitFile ?? named.exitSound ?? builtInTone('exit', rate),
    named,
  };
}
