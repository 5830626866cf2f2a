// The PCM app leg kind: an AppLeg given (or one made at a rate) joins by handing one end of its
// MessageChannel to the shard.
import { InvalidStateError } from '../../errors.ts';
import { MIXER_RATES } from '../../audio/numbers.ts';
import { refuseUnknownFields, toOneOf } from '../../fields.ts';
import type { LegJoin, LegKind, LegRequest } from '../LegKind.ts';
import { AppLeg } from './AppLeg.ts';
import { appLegDriver } from './driver.ts';
import type { AppLegWireInfo, AppLegWireSpec } from './spec.ts';

/** A checked app leg: an AppLeg to attach, or a new one at a rate. */
export class AppLegRequest implements LegRequest {
  /** Always 'app'. */
  readonly kind = 'app';
  /** The leg given, if one was. */
  readonly appLeg?: AppLeg;
  /** The rate of a leg to make, if none was given. */
  readonly rate?: number;

  /** An existing leg, or a rate for a new one. */
  constructor(leg: AppLeg | { rate: number }) {
    if (leg instanceof AppLeg) this.appLeg = leg;
    else this.rate = leg.rate;
  }

  /** Starts the join: a given leg must be new; otherwise one is made. */
  join(): LegJoin<AppLegWireSpec, AppLegWireInfo> {
    const given = this.appLeg;
    if (given && given.state !== 'new') throw new InvalidStateError(`app leg ${given.id} is ${given.state}; a leg joins one conference once`);
    const leg = given ?? new AppLeg({ rate: this.rate ?? 0 });
    return {
      ...(given ? {} : { createdLeg: leg }),
      hearsRefusal: true,
      wire: (intervalMs) => {
        const port = leg.attach(intervalMs);
        return { spec: { kind: 'app', rate: leg.rate, port }, transfer: [port] };
      },
      abandon: () => leg.detach(),
      discard: () => leg.close(),
      open: () => leg,
    };
  }
}

/** The PCM app leg kind. */
export const appLegKind: LegKind<AppLegWireSpec, AppLegWireInfo> = {
  parse(fields) {
    refuseUnknownFields(fields, new Set(['kind', 'rate']), 'app leg');
    return new AppLegRequest({ rate: toOneOf(fields.rate, 'leg.rate', MIXER_RATES) });
  },
  fromObject: (value) => (value instanceof AppLeg ? new AppLegRequest(value) : undefined),
  driver: appLegDriver,
};
