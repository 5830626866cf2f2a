// The load generator process (generator.ts) as its parent drives it over IPC: start, snapshots,
// traces, stop.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromGenerator, GeneratorConfig, GeneratorSnapshot, ToGenerator, TraceRecord } from './protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

const wait = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** The generator process, driven over IPC. */
export class GeneratorProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (snapshot: GeneratorSnapshot) => void>();
  readonly #pendingTraces = new Map<number, (traces: TraceRecord[]) => void>();
  #nextId = 1;
  #exited: Promise<void>;
  #onStarted: Array<(error?: Error) => void> = [];
  #onBound: Array<(ports: number[] | Error) => void> = [];
  #onStopped: ((snapshot: GeneratorSnapshot) => void) | undefined;

  constructor(config: GeneratorConfig) {
    this.#child = fork(join(here, 'generator.ts'), [JSON.stringify(config)], {
      cwd: root,
      execArgv: ['--import', 'tsx'],
      // Its output goes to stderr: stdout carries only the benchmark's table and JSON line.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    this.#exited = new Promise((done) => this.#child.once('exit', () => done()));
    this.#child.on('message', (message: FromGenerator) => {
      if (message.type === 'bound') this.#settleBound(message.ports);
      else if (message.type === 'started') this.#settleStart();
      else if (message.type === 'error') this.#settleStart(new Error(`generator: ${message.message}`));
      else if (message.type === 'snapshot') this.#pending.get(message.id)?.(message.snapshot);
      else if (message.type === 'traces') this.#pendingTraces.get(message.id)?.(message.traces);
      else if (message.type === 'stopped') this.#onStopped?.(message.snapshot);
    });
    this.#child.once('exit', (code) => this.#settleStart(new Error(`generator exited with code ${String(code)}`)));
  }

  /** The generator's process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** With `sdp`: resolves with each member's local port once its sockets are bound. */
  bound(): Promise<number[]> {
    return new Promise((done, fail) => this.#onBound.push((ports) => (ports instanceof Error ? fail(ports) : done(ports))));
  }

  /** With `sdp`: where each member's leg is; it then starts sending. */
  start(targetPorts: number[]): void {
    this.#send({ type: 'start', targetPorts });
  }

  /** Resolves once it is sending. */
  started(): Promise<void> {
    return new Promise((done, fail) => this.#onStarted.push((error) => (error ? fail(error) : done())));
  }

  /** Its counters now. */
  snapshot(): Promise<GeneratorSnapshot> {
    const id = this.#nextId++;
    return new Promise((done) => {
      this.#pending.set(id, (snapshot) => {
        this.#pending.delete(id);
        done(snapshot);
      });
      this.#send({ type: 'snapshot', id });
    });
  }

  /** The traced members' logs so far (with onsets). */
  traces(): Promise<TraceRecord[]> {
    const id = this.#nextId++;
    return new Promise((done) => {
      this.#pendingTraces.set(id, (traces) => {
        this.#pendingTraces.delete(id);
        done(traces);
      });
      this.#send({ type: 'traces', id });
    });
  }

  /** Stops sending and returns the last counters; the process then exits. */
  async stop(): Promise<GeneratorSnapshot | undefined> {
    if (this.#child.exitCode !== null || !this.#child.connected) return undefined;
    const stopped = new Promise<GeneratorSnapshot>((done) => (this.#onStopped = done));
    this.#send({ type: 'stop' });
    const last = await Promise.race([stopped, wait(5000).then(() => undefined)]);
    this.kill();
    await this.#exited;
    return last;
  }

  /** Ends it, whatever state it is in. */
  kill(): void {
    if (this.#child.connected) this.#child.disconnect();
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  #send(message: ToGenerator): void {
    if (this.#child.connected) this.#child.send(message);
  }

  #settleStart(error?: Error): void {
    for (const settle of this.#onStarted.splice(0)) settle(error);
    if (error) this.#settleBound(error);
  }

  #settleBound(ports: number[] | Error): void {
    for (const settle of this.#onBound.splice(0)) settle(ports);
  }
}
