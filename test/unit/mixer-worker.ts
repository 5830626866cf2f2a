// Worker entry for worker-load.test.ts: loads the addon in this thread, mixes a 3-member N-1
// conference and posts back what each member heard of its own tone and of the others'.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { NativeConference } from '../../src/native/testing/mixer.ts';
import { ToneGenerator, concat, goertzelAmplitude, ratioDb } from '../helpers/audio.ts';

/** What the test sends: the tones to mix and for how many ticks. */
export interface MixerWorkerInput {
  freqs: number[];
  amplitude: number;
  ticks: number;
}

/** What the worker posts back, per member (in freqs order). */
export interface MixerWorkerResult {
  threadId: number;
  ownDb: number[];
  othersDb: number[][];
}

const { freqs, amplitude, ticks } = workerData as MixerWorkerInput;
const rate = 16000;
const samples = 320;
const conf = new NativeConference({ rate, interval: 20 });
const tones = freqs.map((f) => new ToneGenerator(f, amplitude, rate));
const heard: Int16Array[][] = freqs.map(() => []);
freqs.forEach((_, id) => conf.addMember(id));
for (let t = 0; t < ticks; t++) {
  tones.forEach((tone, id) => conf.pushFrame(id, tone.next(samples)));
  conf.tick();
  freqs.forEach((_, id) => heard[id].push(conf.readFrame(id)));
}
const outputs = heard.map((frames) => concat(frames));
const level = (out: Int16Array, f: number): number => ratioDb(goertzelAmplitude(out, f, rate), amplitude);
const result: MixerWorkerResult = {
  threadId,
  ownDb: outputs.map((out, id) => level(out, freqs[id])),
  othersDb: outputs.map((out, id) => freqs.filter((_, o) => o !== id).map((f) => level(out, f))),
};
parentPort!.postMessage(result);
