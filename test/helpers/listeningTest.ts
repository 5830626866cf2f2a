// The call of the active-talker listening test, shared by the mixer's test and the Opus one.

/** A voice in the call: a tone at `freq` and peak `amp`, heard in ticks [from, to) of each span. */
export interface CallVoice {
  id: number;
  freq: number;
  amp: number;
  spans: number[][];
}

/** Over 30 s of 20 ms ticks: one speaker holds the floor, a second talks over them, and twice two
 *  more backchannel at once ("mm-hm", a laugh), so at most 4 talk together. */
export const LISTENING_TEST_TALKERS: readonly CallVoice[] = [
  { id: 1, freq: 400, amp: 4000, spans: [[0, 1500]] },
  { id: 2, freq: 700, amp: 3000, spans: [[200, 400], [900, 1100]] },
  { id: 3, freq: 1100, amp: 1500, spans: [[250, 300], [950, 1000]] },
  { id: 4, freq: 1700, amp: 1200, spans: [[260, 310], [960, 990]] },
];

/** Ticks the call lasts. */
export const LISTENING_TEST_TICKS = 1500;
