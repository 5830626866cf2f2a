// The DTMF key map of a conference with the `interpret_digits` profile (the default). The shard's
// mixer acts on the keys; this table documents them and names the action each `dtmf` event
// reports. With `passthru_digits` no key acts and every event reports the action 'none'.
// A key acts once per RFC 4733 event, however often its packets are retransmitted.
import type { DtmfAction, DtmfKey } from '../audio/numbers.ts';

/** One key's action and what it does. */
export interface DtmfKeyBinding {
  /** The action a `dtmf` event reports for this key. */
  action: DtmfAction;
  /** What the key does to the member who pressed it. */
  description: string;
}

/** Every key of the keypad and its action under `interpret_digits`. */
export const DTMF_KEY_MAP: Readonly<Record<DtmfKey, DtmfKeyBinding>> = {
  '1': { action: 'talk-down', description: 'talk (mic) volume one step (3 dB) down, to level -4 at most' },
  '2': { action: 'talk-reset', description: 'talk volume back to level 0' },
  '3': { action: 'talk-up', description: 'talk volume one step (3 dB) up, to level +4 at most' },
  '4': { action: 'listen-down', description: 'listen (earpiece) volume one step (3 dB) down' },
  '5': { action: 'listen-reset', description: 'listen volume back to level 0' },
  '6': { action: 'listen-up', description: 'listen volume one step (3 dB) up' },
  '7': { action: 'energy-down', description: 'mic more sensitive: the energy threshold one step down (0, 25, 50, 100, 200, 400, 800, 1600)' },
  '8': { action: 'energy-reset', description: "energy threshold back to the conference's energy-level" },
  '9': { action: 'energy-up', description: 'mic less sensitive: the energy threshold one step up' },
  '0': { action: 'toggle-mute', description: 'toggle mute (audio from the member into the conference)' },
  '*': { action: 'toggle-deaf-mute', description: 'toggle deaf and mute together' },
  '#': { action: 'leave', description: 'leave the conference (the member completes with reason dtmf-leave)' },
};
