// The machine a run measured: CPU, cores, kernel, and how busy it was.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import type { MachineInfo } from './types.ts';
import { cpuPressureUs } from '../load/threadCpu.ts';

/** Reads the machine at the start of a run; `finish` completes it at the end. */
export function describeMachine(): { finish(): MachineInfo } {
  const loadAverageBefore = loadavg()[0];
  const pressureBefore = cpuPressureUs();
  const startMs = performance.now();
  return {
    finish(): MachineInfo {
      const pressureAfter = cpuPressureUs();
      const wallUs = (performance.now() - startMs) * 1000;
      let distro = '';
      try {
        distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
      } catch {
        // not Linux-like: the kernel release says enough
      }
      return {
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        cores: cpus().length,
        kernel: `Linux ${release()}${distro ? ` (${distro})` : ''}`,
        node: process.version,
        loadAverageBefore,
        loadAverageAfter: loadavg()[0],
        cpuPressurePct: pressureBefore === null || pressureAfter === null ? null : ((pressureAfter - pressureBefore) / wallUs) * 100,
      };
    },
  };
}
