// What this process may do on this machine, read from the kernel rather than assumed.
import { readFileSync } from 'node:fs';

/** True when this process may set real-time scheduling: CAP_SYS_NICE (bit 23) in its effective set. */
export function mayUseRealtime(): boolean {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('CapEff:'));
  return line !== undefined && (BigInt(`0x${line.split(/\s+/)[1]}`) & (1n << 23n)) !== 0n;
}
