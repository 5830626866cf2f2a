// A member owns its state on the main thread and updates it from the shard's events alone: the
// mixer's 'changed' events carry the new value (no request reads it back), its echoes of the
// member's own requests are not news, and the changes of one key press are reported together.
import { describe, expect, it } from 'vitest';
import type { MemberChange } from '../../src/engine/MemberTypes.ts';
import { makeEngine, next } from './setup.ts';

describe("a member updated by the shard's events", () => {
  it('applies a changed event as it arrives, without asking the shard anything', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember();
    const requests = shard.calls.length;
    const changed = next<MemberChange>(member, 'change');
    shard.push({ type: 'changed', conferenceId: conference.id, member: 1, field: 'talkLevel', value: 3 });
    expect(member.talkLevel).toBe(3);
    expect(await changed).toEqual({ talkLevel: 3, cause: 'dtmf' });
    expect(shard.calls.length).toBe(requests);
    expect(await member.getMixerState()).toMatchObject({ talkLevel: 3, talking: false });
  });

  it('reports the changes of one key together, once', async () => {
    const { engine } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember();
    const changes: MemberChange[] = [];
    member.on('change', (change) => changes.push(change));
    const dtmf = next(member, 'dtmf');
    await member.pressKey('*');
    await dtmf;
    await next(member, 'change');
    expect(changes).toEqual([{ deaf: true, mute: true, cause: 'dtmf' }]);
  });

  it('takes the echo of its own update for what it is, and a key pressed after it for news', async () => {
    const { engine, shard } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember();
    const changes: MemberChange[] = [];
    member.on('change', (change) => changes.push(change));
    await member.update({ talkLevel: 2 });
    await member.update({ talkLevel: 3 });
    // Both echoes arrive after both answers: the first one is not a change back to 2.
    await new Promise((resolve) => shard.once('handled', resolve));
    await member.pressKey('1');
    await next(member, 'change');
    expect(changes).toEqual([
      { talkLevel: 2, cause: 'api' },
      { talkLevel: 3, cause: 'api' },
      { talkLevel: 2, cause: 'dtmf' },
    ]);
    expect(member.talkLevel).toBe(2);
  });

  it('follows talking events: state, energy and the talking payload', async () => {
    const { engine, shard, eventsOf } = makeEngine();
    const conference = await engine.createConference();
    const member = await conference.addMember({ callId: 'c-1' });
    shard.push({ type: 'talking', conferenceId: conference.id, member: 1, status: 'start', energy: 900 });
    expect([member.talking, member.energy]).toEqual([true, 900]);
    expect(eventsOf('talking')).toMatchObject([{ memberId: member.id, callId: 'c-1', status: 'start', energy: 900 }]);
    expect(await member.getMixerState()).toMatchObject({ talking: true, energy: 900 });
  });
});
