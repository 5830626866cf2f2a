// ffmpeg as a real RTP peer for e2e tests: processes spawned with arguments (never a shell),
// bounded in time and killed by PID; a relay that stands at the address a sender's SDP names;
// free loopback port pairs for receivers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';

/** True when an ffmpeg with libopus is on PATH. */
export function ffmpegAvailable(): boolean {
  const probe = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 10_000 });
  return probe.status === 0 && /libopus/.test(probe.stdout);
}

/** One ffmpeg process. */
export class FfmpegProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout. */
  stdout = '';
  /** The last 8 kB it wrote to stderr (for failure messages). */
  stderr = '';
  /** Resolves with the exit code (null when killed) once it has exited. */
  readonly exited: Promise<number | null>;
  readonly #killTimer: NodeJS.Timeout;

  /** Starts `ffmpeg args...`; it is killed after `limitMs` whatever happens. */
  constructor(args: string[], limitMs: number) {
    this.child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-8192)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.#killTimer = setTimeout(() => this.kill(), limitMs);
    void this.exited.then(() => clearTimeout(this.#killTimer));
  }

  /** The SDP an RTP muxer prints to stdout (`SDP:` then the lines, then a blank line). */
  async printedSdp(): Promise<string> {
    const complete = (): string | null => {
      const match = /SDP:\r?\n([\s\S]*?m=audio[\s\S]*?)\r?\n\r?\n/.exec(this.stdout);
      return match ? `${match[1].replace(/\r?\n/g, '\r\n')}\r\n` : null;
    };
    for (;;) {
      const sdp = complete();
      if (sdp) return sdp;
      const next = await Promise.race([once(this.child.stdout!, 'data').then(() => true), this.exited.then(() => false)]);
      if (!next && !complete()) throw new Error(`ffmpeg exited before printing its SDP: ${this.stderr}`);
    }
  }

  /** Kills it by PID if it still runs. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
  }
}

/** A free even loopback port whose odd neighbour (ffmpeg's RTCP) is free too. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = dgram.createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = probe.address().port;
    probe.close();
    if (port % 2 !== 0 || port + 1 > 65535) continue;
    const sockets = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    try {
      await Promise.all(sockets.map((socket, i) => new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port + i, '127.0.0.1', () => resolve());
      })));
      return port;
    } catch {
      // Taken meanwhile: try another.
    } finally {
      for (const socket of sockets) socket.close();
    }
  }
  throw new Error('no free loopback port pair');
}

/**
 * Stands at the address a sending ffmpeg's SDP names (ffmpeg sends there), as a symmetric RTP
 * peer: what ffmpeg sends goes on to the conference leg from this port, and what the leg sends
 * back to this port goes on to a recorder. ffmpeg's RTP muxer never reads its own socket, so
 * this is where a sender's returned audio can be recorded.
 */
export class SenderRelay {
  readonly socket = dgram.createSocket('udp4');
  /** Datagrams ffmpeg sent here. */
  fromSender = 0;
  /** Of those, the ones passed on to the leg. */
  forwarded = 0;
  /** Datagrams the leg sent back. */
  returned = 0;
  #leg: number | null = null;
  #recorder: number | null = null;

  /** Binds on loopback. */
  async bind(): Promise<number> {
    this.socket.bind(0, '127.0.0.1');
    await once(this.socket, 'listening');
    this.socket.on('message', (bytes, from) => {
      if (this.#leg !== null && from.port === this.#leg) {
        this.returned++;
        if (this.#recorder !== null) this.socket.send(bytes, this.#recorder, '127.0.0.1');
        return;
      }
      this.fromSender++;
      if (this.#leg === null) return;
      this.forwarded++;
      this.socket.send(bytes, this.#leg, '127.0.0.1');
    });
    return this.socket.address().port;
  }

  /** Its port: the one in the sender's SDP. */
  get port(): number {
    return this.socket.address().port;
  }

  /** Starts passing the sender's packets to the leg's port, and the leg's to the recorder's. */
  connect(legPort: number, recorderPort: number): void {
    this.#leg = legPort;
    this.#recorder = recorderPort;
  }

  close(): void {
    this.socket.close();
  }
}
