// What a test runs inside a softphone page to measure the audio it receives: the remote track
// through Web Audio, its samples kept, and Goertzel levels over 100 ms windows (median of a window
// of them). Passed to page.evaluate as a function, so it must not close over anything.

/** Installs `window.confmixProbe` on the page's remote audio element. */
export function installProbe(): void {
  const element = document.getElementById('remote') as HTMLAudioElement;
  const stream = element.srcObject as MediaStream;
  const audio = new AudioContext();
  const source = audio.createMediaStreamSource(stream);
  const processor = audio.createScriptProcessor(4096, 1, 1);
  const kept: Float32Array[] = [];
  let total = 0;
  processor.onaudioprocess = (event) => {
    const block = new Float32Array(event.inputBuffer.getChannelData(0));
    kept.push(block);
    total += block.length;
    while (kept.length > 400) total -= kept.shift()!.length;
  };
  source.connect(processor);
  processor.connect(audio.destination);
  const levelDbfs = (samples: Float32Array, freq: number, rate: number): number => {
    const w = (2 * Math.PI * freq) / rate;
    const coefficient = 2 * Math.cos(w);
    let s1 = 0;
    let s2 = 0;
    for (const x of samples) {
      const s0 = x + coefficient * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    const amplitude = (2 * Math.sqrt(Math.max(power, 0))) / samples.length;
    return 20 * Math.log10(Math.max(amplitude, 1e-9));
  };
  (window as unknown as { confmixProbe: unknown }).confmixProbe = {
    rate: audio.sampleRate,
    /** Samples received so far. */
    received: () => total,
    /** The median level of `freq` (dBFS) over the last `ms`, in 100 ms windows. */
    level(freq: number, ms: number): number {
      const want = Math.round((audio.sampleRate * ms) / 1000);
      const joined = new Float32Array(Math.min(want, total));
      let at = joined.length;
      for (let i = kept.length - 1; i >= 0 && at > 0; i--) {
        const block = kept[i];
        const take = Math.min(block.length, at);
        joined.set(block.subarray(block.length - take), at - take);
        at -= take;
      }
      const window = Math.round(audio.sampleRate / 10);
      const levels: number[] = [];
      for (let i = 0; i + window <= joined.length; i += window) levels.push(levelDbfs(joined.subarray(i, i + window), freq, audio.sampleRate));
      levels.sort((a, b) => a - b);
      return levels.length ? levels[Math.floor(levels.length / 2)] : -200;
    },
  };
}
