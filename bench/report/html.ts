// The report's page: the summary table and the machine first, then every plot (inline SVG, also
// written beside it as files), then latency, quality, Opus bitrates, the resampler and --compare.
import { KINDS } from './suite.ts';
import type { Plot } from './plots.ts';
import type { ReportResults } from './types.ts';

const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const num = (n: number | null | undefined, digits: number): string => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

function table(header: string[], rows: string[][]): string {
  const head = header.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escape(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The whole page. */
export function renderHtml(results: ReportResults, plots: Plot[]): string {
  const m = results.machine;
  const summary = table(
    ['kind of member', 'largest room held', 'largest tried', 'added latency p50 (ms)', 'added latency p99 (ms)'],
    results.summary.map((s) => [
      KINDS[s.kind].label,
      s.largestRoomHeld === null ? 'none held' : String(s.largestRoomHeld),
      String(s.largestRoomTried),
      num(s.addedLatencyP50Ms, 1),
      num(s.addedLatencyP99Ms, 1),
    ]),
  );
  const latency = table(
    ['codec', 'members', 'onsets', 'p50 ms', 'p99 ms', 'max ms', 'jitter target ms (mean)', 'highest', 'goal ms (interval + mean target + 2)', 'p99 over each onset\'s own goal ms', 'goal met', 'codec delay subtracted ms', 'room rx pps min', 'room lateness p99 ms'],
    results.latency.map((l) => [
      l.codec, String(l.members), String(l.samples), num(l.p50Ms, 2), num(l.p99Ms, 2), num(l.maxMs, 2), num(l.jitterTargetMs, 1), num(l.jitterTargetMaxMs, 1), num(l.goalMs, 1),
      num(l.goalExcessP99Ms, 1), l.goalMet === null ? '–' : l.goalMet ? 'yes' : 'no', num(l.codecDelayMs, 2), num(l.rxPpsMin, 1), num(l.latenessP99Ms, 3),
    ]),
  );
  const quality = table(
    ['codec', 'members', "listeners' tone level error, mean dB", 'worst dB', "talker's own tone in its stream, dB below a listener's (least)", "all a talker hears meanwhile, dB below (median)", 'tone SNR after the path, dB'],
    results.latency.map((l) => [
      l.codec, String(l.members), num(l.listenerLevelErrorDbMean, 2), num(l.listenerLevelErrorDbWorst, 2), num(l.ownStreamRejectionDb, 1), num(l.ownStreamResidualDb, 1), num(l.roundTripSnrDb, 1),
    ]),
  );
  const bitrates = table(
    ['rate Hz', 'channels', 'kbit/s', 'default', 'worst tone level error dB', 'speech segmental SNR dB', 'speech log-spectral distance dB', 'kbit/s sent'],
    results.bitrates.map((b) => [
      String(b.rate), String(b.channels), String(b.bitrate / 1000), b.isDefault ? 'default' : '', num(b.toneLevelErrorDb, 2), num(b.speechSegmentalSnrDb, 2),
      num(b.speechLsdDb, 2), num(b.measuredBitrate / 1000, 1),
    ]),
  );
  const resampler = table(
    ['conversion', 'filter', 'delay at 0.1 × lower rate, ms', 'largest passband delay, ms', 'passband gain min..max dB', 'rejection beyond Nyquist dB'],
    results.resampler.map((f) => [
      `${f.inRate} → ${f.outRate}`, f.phase === 'minimum' ? 'minimum phase (now)' : 'linear phase (before)', num(f.delayMs, 2), num(f.maxPassbandDelayMs, 2),
      `${num(f.passbandMinDb, 3)} .. ${num(f.passbandMaxDb, 3)}`, num(f.rejectionDb, 1),
    ]),
  );
  const rooms = table(
    ['kind', 'members', 'talkers', '%core/member', 'engine %core', 'rx pps min', 'late p50 ms', 'late p99 ms', 'late max ms', 'RSS MB', 'held'],
    results.rooms.map((r) => [
      r.kind, String(r.members), String(r.talkers), num(r.cpuPctPerMember, 4), num(r.engineCpuPct, 1), num(r.rxPpsMin, 1), num(r.latenessP50Ms, 3),
      num(r.latenessP99Ms, 3), num(r.latenessMaxMs, 2), num(r.rssMb, 0), r.held ? 'yes' : 'no',
    ]),
  );
  const compare = results.compare
    ? `<h2>Compared with ${escape(results.compare.against)}</h2>
<p>${results.compare.figures} figures compared; a figure is flagged when it got worse by more than twice its measured run-to-run noise (at least 3 %).</p>
${
  results.compare.regressions.length === 0
    ? '<p class="ok">No figure got worse beyond its noise.</p>'
    : table(
        ['figure', 'saved', 'now', 'worse by', 'noise allows'],
        results.compare.regressions.map((r) => [r.figure, num(r.saved, 4), num(r.current, 4), `${(r.worseBy * 100).toFixed(1)} %`, `${(r.allowed * 100).toFixed(1)} %`]),
      )
}`
    : '';
  const figures = plots.map((p) => `<figure id="${escape(p.file.replace('.svg', ''))}"><figcaption>${escape(p.title)}</figcaption>\n${p.svg}\n</figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>confmix benchmark report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #f4f4f4; }
figure { margin: 1.5em 0; }
figcaption { font-weight: 600; margin-bottom: 0.4em; }
.ok { color: #060; }
</style></head><body>
<h1>confmix benchmark report</h1>
<p>${escape(results.mode)} run of ${escape(results.generatedAt)}${results.commit ? `, commit ${escape(results.commit)}` : ''}, ${results.durationS.toFixed(0)} s.</p>
<h2>Summary</h2>
<p>The largest room of each kind that held ${results.holdPps} packets/s for every member with tick lateness p99 ≤ ${results.holdP99Ms} ms, on this machine, among the sizes run.</p>
${summary}
<p id="machine">Machine: ${escape(m.cpuModel)}, ${m.cores} cores, ${escape(m.kernel)}, Node.js ${escape(m.node)}; load average ${m.loadAverageBefore.toFixed(2)} before the run and ${m.loadAverageAfter.toFixed(2)} after; CPU pressure during the run ${m.cpuPressurePct === null ? 'n/a' : `${m.cpuPressurePct.toFixed(1)} %`}.</p>
${compare}
<h2>Plots</h2>
${figures}
<h2>Engine-added latency</h2>
<p>A talker sends a sharp onset after silence; the generator logs the send time, the probes (first, middle and last listener) the kernel's arrival time, and the onset is found in their decoded streams. The Opus encode and decode of the engine's own coding are subtracted (codec delay column); PCMU members are resampled 8 ↔ 16 kHz in a 16 kHz room. The goal: added latency ≤ one interval + the jitter buffer's target + 2 ms.</p>
${latency}
<h2>Quality beside cost</h2>
<p>From the same latency runs: each burst's level in listeners' streams against what was sent, the talker's own tone in its stream during its burst, and the tone's SNR after the whole path.</p>
${quality}
<h2>Opus bitrate</h2>
<p>One encode and decode at the conference rate: the worst level error of 300, 1000 and 3000 Hz tones at -20 dBFS, and a synthesized sentence's segmental SNR and log-spectral distance. The default is the lowest bitrate within 1 dB of 64 kbit/s's speech SNR with tones within 0.25 dB.</p>
${bitrates}
<h2>Resampler: before and after</h2>
${resampler}
<h2>Every room</h2>
${rooms}
</body></html>
`;
}
