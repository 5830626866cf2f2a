// Command-line options of the report: `report [--quick] [--compare FILE] [--sweep pcmu|opus] [--out DIR]`.

/** What a report run does. */
export interface ReportOptions {
  /** The short suite (under 3 minutes) instead of the full one (under 15). */
  quick: boolean;
  /** A saved results.json to compare this run with. */
  compare?: string;
  /** Instead of the suite: raise one codec's room until it no longer holds. */
  sweep?: 'pcmu' | 'opus';
  /** Where the report goes (default bench-report). */
  out: string;
}

/** Raised for a flag the report does not understand. */
export class ReportOptionsError extends Error {
  /** Stable error code. */
  readonly code = 'ERR_INVALID_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'ReportOptionsError';
  }
}

/** Parses the report's flags. */
export function parseReportArgs(args: readonly string[]): ReportOptions {
  const options: ReportOptions = { quick: false, out: 'bench-report' };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    const needValue = (): string => {
      if (value === undefined || value.startsWith('--')) throw new ReportOptionsError(`${flag} needs a value`);
      i++;
      return value;
    };
    switch (flag) {
      case '--quick':
        options.quick = true;
        break;
      case '--compare':
        options.compare = needValue();
        break;
      case '--out':
        options.out = needValue();
        break;
      case '--sweep': {
        const codec = needValue();
        if (codec !== 'pcmu' && codec !== 'opus') throw new ReportOptionsError(`--sweep must be pcmu or opus, got '${codec}'`);
        options.sweep = codec;
        break;
      }
      default:
        throw new ReportOptionsError(`unknown flag '${flag}' (flags: --quick, --compare FILE, --sweep pcmu|opus, --out DIR)`);
    }
  }
  return options;
}
