// The error a join gets when the conference cannot take another member.
import { InvalidStateError } from '../errors.ts';
import type { AppLeg } from '../legs/app/AppLeg.ts';

/** Why a join was refused. */
export type JoinRefusal = 'locked' | 'full';

/**
 * A join refused because the conference is locked or holds `max-members` already. Its code is
 * ERR_INVALID_STATE like every InvalidStateError; `reason` says which. When the profile names
 * `locked-sound` or `max-members-sound`, that sound plays on the refused leg, which then closes.
 */
export class JoinRefusedError extends InvalidStateError {
  /** 'locked' or 'full'. */
  readonly reason: JoinRefusal;
  /** The conference that refused. */
  readonly conferenceId: string;
  /** The app leg created for the refused join (`leg: {kind: 'app'}`), to hear the refusal sound on. */
  readonly leg: AppLeg | undefined;

  constructor(reason: JoinRefusal, conferenceId: string, message: string, leg?: AppLeg) {
    super(message);
    this.name = 'JoinRefusedError';
    this.reason = reason;
    this.conferenceId = conferenceId;
    this.leg = leg;
  }

  /** Plain data, with the reason kept. */
  override toJSON(): { name: string; code: string; message: string; reason: JoinRefusal } {
    return { ...super.toJSON(), reason: this.reason };
  }
}
