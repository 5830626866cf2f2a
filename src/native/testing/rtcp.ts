// Typed view of the addon's RTCP functions (RFC 3550): build and parse packets, receiver
// statistics of one source, and the report timer. Times named `...Ms` are wall-clock
// milliseconds since the Unix epoch (Date.now()); the addon converts them to NTP.
import { addon } from './addon.ts';
import { callNative } from '../call.ts';

/** One reception report block (RFC 3550 6.4.1). */
export interface RtcpReportBlock {
  /** The source this block reports on. */
  ssrc: number;
  /** Lost since the previous report, in 1/256 (0..255). */
  fractionLost: number;
  /** Expected minus received, clamped to the signed 24-bit field (-8388608..8388607). */
  cumulativeLost: number;
  /** Wrap cycles << 16 | highest sequence received. */
  extendedHighestSequence: number;
  /** Interarrival jitter, RTP clock units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received from the source; 0 if none. */
  lsr: number;
  /** Delay since that SR, 1/65536 s. */
  dlsr: number;
}

/** A report block as RtcpReceiverStats makes it: the caller adds the source's ssrc. */
export type RtcpReportBlockFields = Omit<RtcpReportBlock, 'ssrc'>;

/** What an SR says about its sender. */
export interface RtcpSenderInfo {
  /** Wall clock when the report was made, ms since the Unix epoch. */
  ntpMs: number;
  /** The same instant on the RTP clock. */
  rtpTimestamp: number;
  /** RTP packets sent since the start. */
  packetsSent: number;
  /** Payload octets sent since the start. */
  octetsSent: number;
}

/** Options of buildRtcpReport: with sender info it is an SR, without it an RR. */
export type RtcpReportOptions = {
  /** Our SSRC. */
  ssrc: number;
  /** SDES CNAME, 1..255 UTF-8 bytes. */
  cname: string;
  /** Up to 31 blocks. */
  reportBlocks?: RtcpReportBlock[];
} & (RtcpSenderInfo | { ntpMs?: undefined; rtpTimestamp?: undefined; packetsSent?: undefined; octetsSent?: undefined });

/** A parsed sender report. */
export interface RtcpSrPacket extends RtcpSenderInfo {
  type: 'sr';
  /** The sender's SSRC. */
  ssrc: number;
  /** NTP seconds word, as sent (for onSenderReport). */
  ntpMsw: number;
  /** NTP fraction word, as sent. */
  ntpLsw: number;
  /** Reception reports. */
  reportBlocks: RtcpReportBlock[];
}

/** A parsed receiver report. */
export interface RtcpRrPacket {
  type: 'rr';
  /** The reporter's SSRC. */
  ssrc: number;
  /** Reception reports. */
  reportBlocks: RtcpReportBlock[];
}

/** One SDES chunk that carried items. */
export interface RtcpSdesChunk {
  /** The source described. */
  ssrc: number;
  /** The CNAME item's text, when there is one. */
  cname?: string;
  /** Every item: type 1 CNAME, 2 NAME, ... 8 PRIV. */
  items: Array<{ type: number; text: string }>;
}

/** A parsed source description. */
export interface RtcpSdesPacket {
  type: 'sdes';
  /** Chunks with at least one item. */
  chunks: RtcpSdesChunk[];
}

/** A parsed goodbye. */
export interface RtcpByePacket {
  type: 'bye';
  /** Sources leaving. */
  ssrcs: number[];
  /** Reason for leaving, when given. */
  reason?: string;
}

/** A parsed application-defined packet. */
export interface RtcpAppPacket {
  type: 'app';
  /** The sender's SSRC. */
  ssrc: number;
  /** The 5-bit subtype. */
  subtype: number;
  /** Four ASCII characters. */
  name: string;
  /** Application data. */
  data: Uint8Array;
}

/** One packet of a compound. */
export type RtcpPacket = RtcpSrPacket | RtcpRrPacket | RtcpSdesPacket | RtcpByePacket | RtcpAppPacket;

/** Why a datagram was rejected. */
export type RtcpParseFailure =
  | 'too-short'
  | 'bad-version'
  | 'bad-packet-type'
  | 'bad-length'
  | 'bad-padding'
  | 'bad-report-count'
  | 'bad-sdes'
  | 'bad-bye'
  | 'bad-app';

/** The result of parseRtcp. */
export type RtcpParseResult =
  | { ok: true; packets: RtcpPacket[]; skipped: number }
  | { ok: false; reason: RtcpParseFailure };

/** Reception statistics of one RTP source (RFC 3550 A.1, A.3, A.8). */
export interface RtcpReceiverStats {
  /** Records one received RTP packet; arrivalMs is our wall clock at arrival. */
  onRtp(sequence: number, rtpTimestamp: number, arrivalMs: number): void;
  /** The report block as of nowNtpMs; starts a new fraction-lost interval. */
  reportBlock(nowNtpMs: number): RtcpReportBlockFields;
  /** Records an SR from the source (its NTP words) and when it arrived. */
  onSenderReport(ntpMsw: number, ntpLsw: number, arrivalMs: number): void;
  /** Round trip in ms from a block about our stream that arrived at arrivalNtpMs; null if lsr is 0. */
  rttFromReportBlock(lsr: number, dlsr: number, arrivalNtpMs: number): number | null;
  /** Packets received. */
  readonly received: number;
  /** Packets expected from the first sequence to the highest. */
  readonly expected: number;
  /** Expected minus received, not clamped. */
  readonly cumulativeLost: number;
  /** Interarrival jitter, RTP clock units. */
  readonly jitter: number;
}

/** When our next report is due: 5 s nominal, randomised to [0.5, 1.5]; the first at half that. */
export interface RtcpReportTimer {
  /** Schedules the first report; returns when it is due (ms). */
  start(nowMs: number): number;
  /** Records a report sent now and schedules the next; returns when it is due (ms). */
  onReportSent(nowMs: number): number;
  /** True once nowMs has reached the due time. */
  isDue(nowMs: number): boolean;
  /** When the next report is due (ms). */
  readonly nextDueMs: number;
}

interface RtcpAddon {
  buildRtcpReport(options: RtcpReportOptions): Uint8Array;
  buildRtcpBye(ssrc: number, reason?: string): Uint8Array;
  parseRtcp(bytes: Uint8Array): RtcpParseResult;
  RtcpReceiverStats: new (clockRate: number) => RtcpReceiverStats;
  RtcpReportTimer: new (seed?: number, nominalMs?: number) => RtcpReportTimer;
}

const native = addon as unknown as RtcpAddon;

/** Builds an SR (with sender info) or RR, then SDES CNAME, as one compound packet. */
export function buildRtcpReport(options: RtcpReportOptions): Uint8Array {
  return callNative(() => native.buildRtcpReport(options));
}

/** Builds an empty RR then a BYE for `ssrc`, with an optional reason (<= 255 UTF-8 bytes). */
export function buildRtcpBye(ssrc: number, reason?: string): Uint8Array {
  return callNative(() => native.buildRtcpBye(ssrc, reason));
}

/** Parses a compound packet; a malformed one gives { ok: false, reason }. */
export function parseRtcp(bytes: Uint8Array): RtcpParseResult {
  return callNative(() => native.parseRtcp(bytes));
}

/** New reception statistics for a source whose RTP clock runs at clockRate Hz. */
export function createRtcpReceiverStats(clockRate: number): RtcpReceiverStats {
  return callNative(() => new native.RtcpReceiverStats(clockRate));
}

/** A new report timer; the seed makes its random sequence repeatable. */
export function createRtcpReportTimer(seed?: number, nominalMs?: number): RtcpReportTimer {
  return callNative(() => new native.RtcpReportTimer(seed, nominalMs));
}
