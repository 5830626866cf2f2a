// A conference's bridge to a mediasoup router. Each bridged producer is consumed over a
// PlainTransport into a plain RTP leg on loopback (the media thread reads it; no JavaScript per
// packet), and the member's own mix comes back on the same transport as a producer of the router.
// The bridge owns exactly what it created in mediasoup: its transports, their consumers and producers.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { InvalidArgumentError, InvalidStateError, UnsupportedError } from '../../errors.ts';
import { checkAppData, checkFields, describe, refuseUnknownFields, toBoolean } from '../../fields.ts';
import { bridgeLeg, legCapabilities, mixProducerParameters, routerOpus } from './codec.ts';
import type { BridgedProducer, BridgeRtpLeg, MediasoupBridgeEvents, MediasoupBridgeOptions, SfuPlainTransport, SfuProducer, SfuRouter } from './MediasoupBridgeTypes.ts';

/** A member the host joined for the bridge, and what the bridge may do with it. */
export interface BridgeJoin<M> {
  /** The member. */
  readonly member: M;
  /** Its RTP leg's local port. */
  readonly localPort: number;
  /** Removes it with reason 'mediasoup-closed' (nothing if it already left). */
  remove(): void;
  /** Calls `listener` once when it leaves, for whatever reason. */
  onLeave(listener: () => void): void;
}

/** What the bridge needs of its conference (the engine provides it). */
export interface BridgeHost<M, O> {
  /** Adds a member with these options and this RTP leg. */
  join(options: O, leg: BridgeRtpLeg): Promise<BridgeJoin<M>>;
  /** Calls `listener` once when the conference closes. */
  onClose(listener: () => void): void;
}

/** The package the bridge needs, loaded on first use: confmix never imports it otherwise. */
export const MEDIASOUP_PACKAGE = 'mediasoup';

/** Loads mediasoup; UnsupportedError naming the package when it is not installed. */
export async function loadMediasoup(specifier: string = MEDIASOUP_PACKAGE): Promise<{ version: string }> {
  try {
    const module = (await import(specifier)) as { version?: string; default?: { version?: string } };
    return { version: module.version ?? module.default?.version ?? 'unknown' };
  } catch (error) {
    // Node's code for a missing package (ESM or CommonJS resolution).
    if (/MODULE_NOT_FOUND$/.test(String((error as { code?: unknown }).code))) {
      throw new UnsupportedError(`the mediasoup bridge needs the '${MEDIASOUP_PACKAGE}' package, which is not installed (npm install ${MEDIASOUP_PACKAGE}@3.19.3)`, { cause: error });
    }
    throw error;
  }
}

const BRIDGE_KEYS = new Set(['router', 'listenIp', 'mixProducer', 'appData']);

function checkRouter(value: unknown): SfuRouter {
  const router = value as Partial<SfuRouter> | null;
  if (typeof router !== 'object' || router === null || typeof router.createPlainTransport !== 'function' || typeof router.rtpCapabilities !== 'object') {
    throw new InvalidArgumentError(`router must be a mediasoup Router, got ${describe(value)}`);
  }
  if (router.closed) throw new InvalidStateError('the router is closed');
  return router as SfuRouter;
}

// A random SSRC for a leg's outgoing stream, which its mix producer names.
function newSsrc(): number {
  return randomBytes(4).readUInt32BE(0) || 1;
}

/** One bridged member: its transport (and so its consumer and mix producer). */
interface Bridged<M> {
  join: BridgeJoin<M>;
  transport: SfuPlainTransport;
}

/**
 * A conference's bridge to one mediasoup router: `addProducer()` makes a member of an audio
 * producer and gives back a producer of its N−1 mix; `mixProducer` carries the whole mix for
 * listen-only consumers. Closing it (or its router, or the conference) closes what it created.
 */
export class MediasoupBridge<M, O> extends EventEmitter<MediasoupBridgeEvents> {
  /** The router it serves. */
  readonly router: SfuRouter;
  /** The loopback address of its transports and legs. */
  readonly listenIp: string;
  /** The user's own data. */
  readonly appData: Record<string, unknown>;
  readonly #host: BridgeHost<M, O>;
  readonly #opus: ReturnType<typeof routerOpus>;
  readonly #members = new Set<Bridged<M>>();
  #mix: (Bridged<M> & { producer: SfuProducer }) | undefined;
  #closed = false;
  readonly #onRouterClose = (): void => this.close();

  /** Checks the options, loads mediasoup, and opens the bridge (with its mix producer unless asked not to). */
  static async create<M, O>(host: BridgeHost<M, O>, options: MediasoupBridgeOptions, listenerOptions: O): Promise<MediasoupBridge<M, O>> {
    await loadMediasoup();
    const fields = checkFields(options, 'bridge options');
    refuseUnknownFields(fields, BRIDGE_KEYS, 'bridge options');
    const router = checkRouter(fields.router);
    const listenIp = fields.listenIp === undefined ? '127.0.0.1' : fields.listenIp;
    if (typeof listenIp !== 'string' || isIP(listenIp) === 0) throw new InvalidArgumentError(`listenIp must be a numeric address, got ${describe(listenIp)}`);
    const withMix = fields.mixProducer === undefined ? true : toBoolean(fields.mixProducer, 'mixProducer');
    const appData = checkAppData(fields.appData);
    const bridge = new MediasoupBridge(host, router, listenIp, appData);
    if (withMix) {
      try {
        bridge.#mix = await bridge.#bridge(undefined, listenerOptions);
      } catch (error) {
        bridge.close();
        throw error;
      }
    }
    return bridge;
  }

  private constructor(host: BridgeHost<M, O>, router: SfuRouter, listenIp: string, appData: Record<string, unknown>) {
    super();
    this.#host = host;
    this.router = router;
    this.listenIp = listenIp;
    this.appData = appData;
    this.#opus = routerOpus(router);
    router.observer.once('close', this.#onRouterClose);
    host.onClose(() => this.close());
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The producer of the whole mix, for listen-only consumers (undefined when created without it). */
  get mixProducer(): SfuProducer | undefined {
    return this.#mix?.producer;
  }

  /** The listen-only member whose mix `mixProducer` carries. */
  get mixMember(): M | undefined {
    return this.#mix?.join.member;
  }

  /** The members joined through addProducer() and still in. */
  get members(): M[] {
    return [...this.#members].map((bridged) => bridged.join.member);
  }

  /**
   * Makes a member whose input is the audio `producer` (of this router) and resolves with it and
   * a producer of its own mix. Closing the producer, its transport or the router removes the
   * member (reason 'mediasoup-closed').
   */
  async addProducer(producer: SfuProducer, memberOptions: O): Promise<BridgedProducer<M>> {
    this.#assertOpen();
    const given = producer as Partial<SfuProducer> | null;
    if (typeof given !== 'object' || given === null || typeof given.id !== 'string') throw new InvalidArgumentError(`producer must be a mediasoup Producer, got ${describe(producer)}`);
    if (given.kind !== 'audio') throw new InvalidArgumentError(`producer must be an audio producer, got kind ${describe(given.kind)}`);
    if (given.closed) throw new InvalidStateError('the producer is closed');
    const { join, producer: mix } = await this.#bridge(producer, memberOptions);
    return { member: join.member, producer: mix };
  }

  // One member on its own transport: consume the producer (if any) into its leg, produce its mix.
  async #bridge(source: SfuProducer | undefined, memberOptions: O): Promise<Bridged<M> & { producer: SfuProducer }> {
    const transport = await this.router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: this.listenIp },
      rtcpMux: true,
      comedia: false,
      appData: { confmixBridge: true },
    });
    let join: BridgeJoin<M> | undefined;
    try {
      this.#assertOpen();
      const consumer = source ? await transport.consume({ producerId: source.id, rtpCapabilities: legCapabilities(this.router), paused: true }) : undefined;
      const ssrc = newSsrc();
      const leg = bridgeLeg({ opus: this.#opus, consumed: consumer?.rtpParameters, address: this.listenIp, port: transport.tuple.localPort, ssrc });
      join = await this.#host.join(memberOptions, leg);
      const bridged: Bridged<M> = { join, transport };
      // Whatever ends first ends both: the member leaving closes the transport (its consumer
      // and mix producer with it), and the transport closing removes the member.
      join.onLeave(() => {
        this.#members.delete(bridged);
        if (!transport.closed) transport.close();
      });
      transport.observer.once('close', () => join?.remove());
      consumer?.once('producerclose', () => transport.close());
      if (source) this.#members.add(bridged);
      await transport.connect({ ip: this.listenIp, port: join.localPort });
      const producer = await transport.produce({
        kind: 'audio',
        rtpParameters: mixProducerParameters(this.#opus, leg.codec.payloadType, ssrc, `confmix-${ssrc.toString(16)}`),
        appData: { confmixBridge: true, mix: source ? 'member' : 'conference' },
      });
      await consumer?.resume();
      this.#assertOpen();
      return { ...bridged, producer };
    } catch (error) {
      join?.remove();
      if (!transport.closed) transport.close();
      throw error;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('the mediasoup bridge is closed');
  }

  /** Closes what the bridge created in mediasoup; its members leave (reason 'mediasoup-closed'). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.router.observer.off?.('close', this.#onRouterClose);
    for (const bridged of [...this.#members]) {
      if (!bridged.transport.closed) bridged.transport.close();
      bridged.join.remove();
    }
    this.#members.clear();
    const mix = this.#mix;
    this.#mix = undefined;
    if (mix && !mix.transport.closed) mix.transport.close();
    mix?.join.remove();
    this.emit('close');
  }
}
