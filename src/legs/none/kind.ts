// The leg of a member without media (`{kind: 'none'}`): it is controlled, counted and reported,
// but mixes nothing.
import { refuseUnknownFields } from '../../fields.ts';
import type { LegDriver, LegJoin, LegKind, LegRequest } from '../LegKind.ts';
import { ControlLeg } from './ControlLeg.ts';

/** A member without media, on the wire. */
export interface NoneLegWireSpec {
  /** Always 'none'. */
  kind: 'none';
}

/** Opens a member without media on the shard's media thread. */
const noneLegDriver: LegDriver<NoneLegWireSpec, NoneLegWireSpec> = {
  open(context, settings) {
    context.media.addMember(context.conference, context.member, settings, { kind: 'none' });
    return { info: { kind: 'none' }, stats: () => ({}), close() {} };
  },
};

/** A member without media, ready to join. */
class NoneLegRequest implements LegRequest {
  /** Always 'none'. */
  readonly kind = 'none';

  /** Starts the join: nothing to open but the member. */
  join(): LegJoin<NoneLegWireSpec, NoneLegWireSpec> {
    return {
      hearsRefusal: false,
      wire: () => ({ spec: { kind: 'none' }, transfer: [] }),
      abandon() {},
      discard() {},
      open: () => new ControlLeg(),
    };
  }
}

/** The request of every member without media. */
export const NONE_LEG_REQUEST: LegRequest = new NoneLegRequest();

/** The kind of a member without media. */
export const noneLegKind: LegKind<NoneLegWireSpec, NoneLegWireSpec> = {
  parse(fields) {
    refuseUnknownFields(fields, new Set(['kind']), 'none leg');
    return NONE_LEG_REQUEST;
  },
  driver: noneLegDriver,
};
