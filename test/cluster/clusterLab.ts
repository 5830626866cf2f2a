// Servers as separate hosts on one machine: a bridge in this namespace (the test's own address on
// it), one network namespace per server joined to it by a veth pair, and a Redis server from
// Debian's redis-server on the bridge address. Every name carries this run's tag, and close()
// removes everything it made.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import dgram from 'node:dgram';
import { g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { parseRtp } from '../../src/native/testing/rtp.ts';
import { ToneGenerator, concat } from '../helpers/audio.ts';
import { RtpStreamBuilder } from '../helpers/rtp.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The users every lab server knows. */
export const LAB_USER = { userId: 'alice', token: 'alice-token', secret: 'alice-secret' };
/** Basic auth of LAB_USER. */
export const LAB_AUTH = `Basic ${Buffer.from(`${LAB_USER.token}:${LAB_USER.secret}`).toString('base64')}`;

/** True when this process may make network namespaces (root with ip and redis-server). */
export function canMakeNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One confmix server in its namespace. */
export interface LabServer {
  /** Its index (0, 1, 2...). */
  index: number;
  /** Its node id. */
  id: string;
  /** Its address on the bridge. */
  address: string;
  /** Its HTTP base URL. */
  url: string;
  /** The process. */
  process: ChildProcess;
  /** Its stdout and stderr so far. */
  output: string[];
  /** Resolves with its exit code. */
  exited: Promise<number | null>;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Namespaces, a bridge, Redis and confmix servers. */
export class ClusterLab {
  /** This run's tag. */
  readonly tag = randomBytes(3).toString('hex');
  /** The /24 of this run: `${prefix}.N`. */
  readonly prefix: string;
  /** The bridge's (this process's) address. */
  readonly hostAddress: string;
  /** Redis's port. */
  readonly redisPort: number;
  /** The servers started. */
  readonly servers: LabServer[] = [];
  #redis: ChildProcess | undefined;
  readonly #namespaces: string[] = [];
  #bridge: string | undefined;

  constructor() {
    const bytes = randomBytes(2);
    this.prefix = `10.${200 + (bytes[0] % 50)}.${bytes[1]}`;
    this.hostAddress = `${this.prefix}.1`;
    this.redisPort = 16000 + (bytes[1] % 200) * 10 + (bytes[0] % 10);
  }

  /** The redis:// URL. */
  get redisUrl(): string {
    return `redis://${this.hostAddress}:${this.redisPort}`;
  }

  /** Makes the bridge and `count` namespaces, and starts Redis. */
  async setUp(count: number): Promise<void> {
    this.#bridge = `cmb${this.tag}`;
    ip('link', 'add', this.#bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.hostAddress}/24`, 'dev', this.#bridge);
    ip('link', 'set', this.#bridge, 'up');
    for (let i = 0; i < count; i++) {
      const ns = `cmx${this.tag}${i}`;
      const outside = `cmv${this.tag}${i}a`;
      const inside = `cmv${this.tag}${i}b`;
      ip('netns', 'add', ns);
      this.#namespaces.push(ns);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', outside, 'master', this.#bridge);
      ip('link', 'set', outside, 'up');
      ip('link', 'set', inside, 'netns', ns);
      ip('-n', ns, 'addr', 'add', `${this.prefix}.${i + 2}/24`, 'dev', inside);
      ip('-n', ns, 'link', 'set', inside, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await this.startRedis();
  }

  /** Starts Redis on the bridge address (again, after stopRedis()). */
  async startRedis(): Promise<void> {
    const redis = spawn('redis-server', ['--port', String(this.redisPort), '--bind', this.hostAddress, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#redis = redis;
    let text = '';
    await new Promise<void>((resolve, reject) => {
      redis.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('Ready to accept connections')) resolve();
      });
      redis.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${text}`)));
    });
  }

  /** Stops Redis. */
  async stopRedis(): Promise<void> {
    const redis = this.#redis;
    if (!redis || redis.exitCode !== null) return;
    const exited = once(redis, 'exit');
    redis.kill('SIGKILL');
    await exited;
  }

  /** Starts confmix server `index` in its namespace; resolves once it serves. */
  async startServer(index: number, extra: string[] = []): Promise<LabServer> {
    const address = `${this.prefix}.${index + 2}`;
    const id = `s${index}`;
    const args = [
      'netns', 'exec', this.#namespaces[index],
      process.execPath, '--import', 'tsx', 'src/cli.ts', 'serve',
      '--listen', `${address}:8080`, '--rtp-address', address, '--rtp-ports', '30000-30999',
      '--redis', this.redisUrl, '--node-id', id, '--heartbeat', '200', '--shards', '1', '--log-level', 'warn',
      '--users', `${LAB_USER.userId}:${LAB_USER.token}:${LAB_USER.secret}`, '--accounts', 'acct1:kazoo-token',
      ...extra,
    ];
    const child = spawn('ip', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CONFMIX_CONFIG: '' } });
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const server: LabServer = { index, id, address, url: `http://${address}:8080`, process: child, output, exited };
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output.push(chunk.toString());
        if (output.join('').includes('confmix: serving')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exited.then((code) => reject(new Error(`server ${id} exited (${code}): ${output.join('')}`)));
    });
    this.servers[index] = server;
    return server;
  }

  /** Sends a signal to a server; resolves with its exit code. */
  async stopServer(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const server = this.servers[index];
    if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill(signal);
    return server.exited;
  }

  /** Stops everything and removes the namespaces and the bridge. */
  async close(): Promise<void> {
    for (const server of this.servers) if (server) await this.stopServer(server.index, 'SIGKILL');
    await this.stopRedis();
    for (const ns of this.#namespaces) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
    if (this.#bridge) {
      try {
        ip('link', 'del', this.#bridge);
      } catch {
        // already gone
      }
    }
  }
}

/** A PCMU peer on the bridge: sends a tone (and RFC 4733 keys) and keeps what it hears. */
export class BridgePeer {
  readonly socket: dgram.Socket;
  readonly received: Uint8Array[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stream = new RtpStreamBuilder({ ssrc: Math.floor(Math.random() * 2 ** 31), payloadType: 0, samplesPerPacket: 160 }, { sequence: 1000, timestamp: 160000 });
  #target: { address: string; port: number } | undefined;
  #closed = false;

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on('message', (message) => this.received.push(new Uint8Array(message)));
  }

  /** Binds a peer on `address`. */
  static async create(address: string): Promise<BridgePeer> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, address);
    await once(socket, 'listening');
    return new BridgePeer(socket);
  }

  /** Its port. */
  get port(): number {
    return this.socket.address().port;
  }

  /** Sends a PCMU tone (or silence at amplitude 0) every 20 ms to the member's port. */
  send(address: string, port: number, freq: number, amplitude: number): void {
    this.#target = { address, port };
    if (this.#timer) clearInterval(this.#timer);
    const tone = new ToneGenerator(freq, amplitude, 8000);
    this.#timer = setInterval(() => {
      this.socket.send(this.#stream.packet({ payload: g711Encode('pcmu', tone.next(160)) }).bytes, port, address);
    }, 20);
  }

  /** Presses a key as RFC 4733 (payload type 101): three packets, the last with the end bit. */
  pressKey(digit: number): void {
    const target = this.#target!;
    const timestamp = this.#stream.timestamp;
    for (let i = 0; i < 3; i++) {
      const payload = new Uint8Array([digit, i === 2 ? 0x8a : 0x0a, 0, 160 * (i + 1)]);
      this.socket.send(this.#stream.packet({ payloadType: 101, payload, timestamp, marker: i === 0 }).bytes, target.port, target.address);
    }
  }

  /** Resolves once `count` more packets than now have arrived. */
  async waitForMore(count: number): Promise<void> {
    const goal = this.received.length + count;
    while (this.received.length < goal) await once(this.socket, 'message');
  }

  /** The last `packets` packets heard, decoded. */
  lastAudio(packets: number): Int16Array {
    return concat(this.received.slice(-packets).map((bytes) => {
      const packet = parseRtp(bytes);
      if (!packet.ok) throw new Error(`bad packet: ${packet.reason}`);
      return packet.payloadType === 0 ? g711Decode('pcmu', packet.payload) : new Int16Array(0);
    }));
  }

  /** Stops and closes. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#closed) return;
    this.#closed = true;
    this.socket.close();
  }
}
