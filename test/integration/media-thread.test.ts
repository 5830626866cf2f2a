// The native media thread on its own: the clock, legs and ports, timeouts, legs fed from
// JavaScript, errors and shutdown. Loopback only; waits on events, never on sleeps.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { mayUseRealtime } from '../helpers/capabilities.ts';
import { EventLog } from '../helpers/mediaEvents.ts';
import { testingAddonPath } from '../../src/native/testing/addon.ts';
import { MediaThread, type MediaEvent, type MediaThreadOptions } from '../../src/native/testing/media.ts';
import { workerPoolStats } from '../../src/native/testing/mediaConference.ts';
import { codeOf } from '../helpers/errors.ts';

const threads: MediaThread[] = [];
afterEach(() => {
  for (const thread of threads.splice(0)) thread.stop();
});

function newThread(log: EventLog, options: Partial<MediaThreadOptions> = {}): MediaThread {
  const thread = new MediaThread({ portMin: 21000, portMax: 21999, onEvents: log.push, ...options });
  threads.push(thread);
  return thread;
}

/** An RTP-shaped packet (version 2) whose sequence number is `seq`. */
function rtpPacket(seq: number, size = 172): Uint8Array {
  const packet = new Uint8Array(size);
  packet[0] = 0x80;
  packet[1] = 0;
  packet[2] = (seq >> 8) & 0xff;
  packet[3] = seq & 0xff;
  for (let i = 12; i < size; i++) packet[i] = (seq * 31 + i) & 0xff;
  return packet;
}

/** Even ports [p, p + 2] that nothing on this machine holds right now. */
async function freeEvenPortPair(start: number): Promise<number> {
  for (let port = start; port < start + 400; port += 4) {
    const sockets = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    const bound = await Promise.all(
      sockets.map(
        (socket, i) =>
          new Promise<boolean>((resolve) => {
            socket.once('error', () => resolve(false));
            socket.bind(port + 2 * i, () => resolve(true));
          }),
      ),
    );
    await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    if (bound.every(Boolean)) return port;
  }
  throw new Error('no free port pair');
}

describe('media thread clock', () => {
  it('runs elapsed / interval ticks (±1) over 10 s of real time', async () => {
    const log = new EventLog();
    const thread = newThread(log);
    // Added before start, the job's first deadline is one interval after this instant.
    const startedAt = process.hrtime.bigint();
    const jobId = thread.addCounterJob({ intervalMs: 20 });
    thread.start();
    // The measurement window itself: the count is read at whatever instant the timer fires.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const stats = thread.stats();
    const endedAt = process.hrtime.bigint();
    const ticks = stats.jobs.find((job) => job.jobId === jobId)!.ticks;
    const expected = Number(endedAt - startedAt) / 1e6 / 20;
    expect(Math.abs(ticks - expected)).toBeLessThanOrEqual(1);
    expect(stats.ticks).toBe(ticks);
    expect(stats.lateness.p50Ms).toBeLessThanOrEqual(stats.lateness.p99Ms);
    expect(stats.lateness.p99Ms).toBeLessThanOrEqual(stats.lateness.maxMs);
    expect(stats.threadCpuMs).toBeGreaterThanOrEqual(stats.tickCpuMs);

    thread.removeJob(jobId);
    const removed = await log.waitFor((event) => event.type === 'job-removed' && event.jobId === jobId);
    expect(removed).toMatchObject({ type: 'job-removed', jobId });
    expect((removed as { ticks: number }).ticks).toBeGreaterThanOrEqual(ticks);
    expect(thread.stats().jobs).toEqual([]);
  });

  it('catches up late ticks back to back without drift', async () => {
    const log = new EventLog();
    const thread = newThread(log);
    const startedAt = process.hrtime.bigint();
    // Every 25th tick takes 70 ms: the next three deadlines pass while it works.
    const jobId = thread.addCounterJob({ intervalMs: 20, stallMs: 70, stallEveryTicks: 25 });
    thread.start();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const stats = thread.stats();
    const endedAt = process.hrtime.bigint();
    const ticks = stats.jobs.find((job) => job.jobId === jobId)!.ticks;
    const expected = Number(endedAt - startedAt) / 1e6 / 20;
    // A stall may be under way at the end of the window: at most its 70 ms of ticks are owed.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(expected) - 4);
    expect(ticks).toBeLessThanOrEqual(Math.ceil(expected) + 1);
    // Each stall overran, and the ticks after it ran more than an interval late.
    expect(stats.overruns).toBeGreaterThanOrEqual(Math.floor(ticks / 25) * 2);
    expect(stats.lateness.maxMs).toBeGreaterThan(20);
  });
});

describe('media thread legs and ports', () => {
  it('reports a full port range as ERR_PORTS_EXHAUSTED and reuses a closed leg\'s port', async () => {
    const log = new EventLog();
    const portMin = await freeEvenPortPair(21100);
    const thread = newThread(log, { portMin, portMax: portMin + 3 });
    thread.start();
    const first = thread.openLeg();
    const second = thread.openLeg();
    expect([first.port, second.port].sort()).toEqual([portMin, portMin + 2]);

    let error: unknown;
    try {
      thread.openLeg();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as { code: string }).code).toBe('ERR_PORTS_EXHAUSTED');
    expect((error as Error).message).toContain(`${portMin}-${portMin + 3}`);
    expect(thread.stats().legs.map((leg) => leg.legId)).toEqual([first.legId, second.legId]);

    thread.closeLeg(first.legId);
    const closed = await log.waitFor((event) => event.type === 'leg-closed' && event.legId === first.legId);
    expect(closed).toEqual({ type: 'leg-closed', legId: first.legId, port: first.port });
    const third = thread.openLeg();
    expect(third.port).toBe(first.port);
    expect(codeOf(() => thread.openLeg())).toBe('ERR_PORTS_EXHAUSTED');
  });

  it('holds the odd port above for RTCP when asked', async () => {
    const log = new EventLog();
    const portMin = await freeEvenPortPair(21300);
    const thread = newThread(log, { portMin, portMax: portMin + 2, evenPorts: false });
    const withRtcp = thread.openLeg({ reserveRtcp: true });
    const plain = thread.openLeg();
    expect(withRtcp.port).toBe(portMin);
    expect(plain.port).toBe(portMin + 2);
    expect(codeOf(() => thread.openLeg())).toBe('ERR_PORTS_EXHAUSTED');
    // Before start() commands apply at once: the port is free on return.
    thread.closeLeg(withRtcp.legId);
    expect(thread.openLeg({ reserveRtcp: true }).port).toBe(portMin);
  });

  it('raises the inactivity timeout once, with its reason', async () => {
    const log = new EventLog();
    const thread = newThread(log);
    thread.start();
    const quiet = thread.openLeg({ timeoutMs: 300 });
    const later = thread.openLeg({ timeoutMs: 900 });
    const never = thread.openLeg({ timeoutMs: 0 });
    const first = await log.waitFor((event) => event.type === 'timeout' && event.legId === quiet.legId);
    expect(first).toEqual({ type: 'timeout', legId: quiet.legId, reason: 'rtp-timeout', timeoutMs: 300 });
    // The second leg's timeout comes 600 ms later: by then the first has had time to repeat.
    await log.waitFor((event) => event.type === 'timeout' && event.legId === later.legId);
    const timeouts = log.events.filter((event) => event.type === 'timeout');
    expect(timeouts.map((event) => (event as { legId: number }).legId)).toEqual([quiet.legId, later.legId]);
    expect(timeouts.some((event) => (event as { legId: number }).legId === never.legId)).toBe(false);
    const legs = thread.stats().legs;
    expect(legs.find((leg) => leg.legId === quiet.legId)!.timedOut).toBe(true);
    expect(legs.find((leg) => leg.legId === never.legId)!.timedOut).toBe(false);
  });

  it('refuses bad input with a code and changes nothing', () => {
    const log = new EventLog();
    expect(codeOf(() => new MediaThread({ portMin: 21000, portMax: 20000, onEvents: log.push }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(codeOf(() => new MediaThread({ portMin: 21000, portMax: 21010 } as MediaThreadOptions))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(codeOf(() => new MediaThread({ portMin: 0, portMax: 21010, onEvents: log.push }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const thread = newThread(log);
    const leg = thread.openLeg();
    const before = thread.stats();
    expect(codeOf(() => thread.openLeg({ remoteAddress: 'not-an-ip', remotePort: 5000 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.openLeg({ remoteAddress: '127.0.0.1', remotePort: 70000 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.openLeg({ ipv6: true, remoteAddress: '127.0.0.1', remotePort: 5000 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(codeOf(() => thread.openLeg({ timeoutMs: -1 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.openLeg({ transport: 'tcp' as 'udp' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.openLeg({ localAddress: '192.0.2.123' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.setRemote(leg.legId, '::1', 5000))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.setRemote(999, '127.0.0.1', 5000))).toBe('ERR_NOT_FOUND');
    expect(codeOf(() => thread.closeLeg(999))).toBe('ERR_NOT_FOUND');
    expect(codeOf(() => thread.closeLeg(-1))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.addCounterJob({ intervalMs: 30 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.addRelayJob({ fromLeg: leg.legId, toLeg: 999 }))).toBe('ERR_NOT_FOUND');
    expect(codeOf(() => thread.removeJob(999))).toBe('ERR_NOT_FOUND');
    expect(codeOf(() => thread.pushPacket(leg.legId, rtpPacket(1)))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.pushPacket(999, rtpPacket(1)))).toBe('ERR_NOT_FOUND');
    expect(thread.stats()).toEqual(before);

    thread.start();
    expect(codeOf(() => thread.start())).toBe('ERR_INVALID_STATE');
    thread.stop();
    thread.stop();
    expect(codeOf(() => thread.openLeg())).toBe('ERR_INVALID_STATE');
    expect(codeOf(() => thread.addCounterJob())).toBe('ERR_INVALID_STATE');
    expect(thread.stats()).toMatchObject({ running: false, legs: [], jobs: [] });
  });
});

describe('media thread scheduling', () => {
  it('runs its clock as a real-time thread where the process may, and as an ordinary one when told', async () => {
    const log = new EventLog();
    expect(codeOf(() => new MediaThread({ portMin: 21000, portMax: 21999, realtimePriority: 100, onEvents: log.push }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    const realtime = newThread(log);
    const ordinary = newThread(log, { realtimePriority: 0 });
    for (const thread of [realtime, ordinary]) {
      thread.addCounterJob({ intervalMs: 10 });
      thread.start();
    }
    // The policy is set as the thread starts; two ticks later it is surely in the stats.
    while (realtime.stats().ticks < 2 || ordinary.stats().ticks < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ordinary.stats().realtime).toBe(false);
    // Root has the capability (as in CI); elsewhere the thread quietly stays ordinary.
    expect(realtime.stats().realtime).toBe(mayUseRealtime());
    // The worker pool's helpers, which a real-time media thread may wait on, run one step below it.
    const pool = workerPoolStats();
    if (pool.workers > 0) expect(pool.realtimePriority).toBe(mayUseRealtime() ? 9 : 0);
  });
});

describe('legs fed from JavaScript', () => {
  it('delivers pushed packets to the job and hands its output back in one batch', async () => {
    const log = new EventLog();
    const thread = newThread(log);
    thread.start();
    const input = thread.openLeg({ transport: 'js' });
    const output = thread.openLeg({ transport: 'js' });
    expect(input.port).toBeNull();
    thread.addRelayJob({ fromLeg: input.legId, toLeg: output.legId, intervalMs: 10 });

    const sent = [1, 2, 3, 4, 5].map((seq) => rtpPacket(seq, 100 + seq));
    for (const packet of sent) expect(thread.pushPacket(input.legId, packet)).toBe(true);
    // Not RTP: refused by the job's sink, counted, never forwarded.
    expect(thread.pushPacket(input.legId, new Uint8Array([1, 2, 3]))).toBe(true);

    let ready = 0;
    await log.waitFor((event) => event.type === 'outgoing' && (ready += event.packets) >= sent.length);
    const taken = thread.takeOutgoing();
    expect(taken.map((entry) => entry.legId)).toEqual(sent.map(() => output.legId));
    expect(taken.map((entry) => Array.from(entry.packet))).toEqual(sent.map((packet) => Array.from(packet)));
    expect(thread.takeOutgoing()).toEqual([]);

    const legs = thread.stats().legs;
    const inStats = legs.find((leg) => leg.legId === input.legId)!;
    const outStats = legs.find((leg) => leg.legId === output.legId)!;
    expect(inStats).toMatchObject({ transport: 'js', packetsIn: 5, droppedInvalid: 1, droppedStranger: 0 });
    expect(inStats.bytesIn).toBe(sent.reduce((sum, packet) => sum + packet.length, 0));
    expect(outStats).toMatchObject({ packetsOut: 5, bytesOut: inStats.bytesIn });
  });

  it('refuses packets of the wrong size', () => {
    const log = new EventLog();
    const thread = newThread(log);
    const leg = thread.openLeg({ transport: 'js' });
    expect(codeOf(() => thread.pushPacket(leg.legId, new Uint8Array(0)))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.pushPacket(leg.legId, new Uint8Array(4096)))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.pushPacket(leg.legId, [1, 2, 3] as unknown as Uint8Array))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => thread.openLeg({ transport: 'js', remoteAddress: '127.0.0.1', remotePort: 4000 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
  });
});

describe('media thread shutdown', () => {
  function runChild(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
        env: { ...process.env, CONFMIX_ADDON: testingAddonPath },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const load = `
    import { createRequire } from 'node:module';
    const { MediaThread } = createRequire(import.meta.url)(process.env.CONFMIX_ADDON);
  `;

  it('lets a process that started and stopped a thread exit by itself', async () => {
    const result = await runChild(`${load}
      // The only thing keeping this process up until the event: cleared on stop.
      const keepAlive = setInterval(() => {}, 1000);
      const thread = new MediaThread({ portMin: 21600, portMax: 21699, onEvents: (events) => {
        if (!events.some((event) => event.type === 'timeout')) return;
        thread.stop();
        clearInterval(keepAlive);
        console.log('stopped ' + thread.stats().running);
      } });
      thread.openLeg({ timeoutMs: 100 });
      thread.addCounterJob({ intervalMs: 10 });
      thread.start();
    `);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('stopped false');
    expect(result.code).toBe(0);
  });

  it('lets a process exit by itself without stop(), in the main thread and in a worker', async () => {
    const result = await runChild(`${load}
      import { Worker } from 'node:worker_threads';
      const worker = new Worker(\`
        const { parentPort } = require('node:worker_threads');
        const { MediaThread } = require(process.env.CONFMIX_ADDON);
        const thread = new MediaThread({ portMin: 21700, portMax: 21799, onEvents: () => {} });
        thread.openLeg({ timeoutMs: 10 });
        thread.addCounterJob({ intervalMs: 10 });
        thread.start();
        parentPort.postMessage('worker started');
      \`, { eval: true, execArgv: [] });
      worker.on('message', (message) => console.log(message));
      worker.on('exit', (code) => console.log('worker exit ' + code));
      const thread = new MediaThread({ portMin: 21800, portMax: 21899, onEvents: () => {} });
      thread.openLeg({ timeoutMs: 10 });
      thread.addCounterJob({ intervalMs: 10 });
      thread.start();
    `);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(['worker started', 'worker exit 0']);
    expect(result.code).toBe(0);
  });
});
