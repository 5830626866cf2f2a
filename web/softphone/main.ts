// The softphone page: join by conference id and name, then keypad, mute, leave, volumes, a
// microphone meter and the live member list (talking from the server's event stream).
import { ConferenceApi } from './api.ts';
import type { MemberView } from './api.ts';
import { JoinError } from './transport.ts';
import type { CallSession, SoftphoneTransport } from './transport.ts';
import { chooseTransport } from './transports.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const form = $<HTMLFormElement>('join');
const call = $<HTMLElement>('call');
const remote = $<HTMLAudioElement>('remote');
const muteButton = $<HTMLButtonElement>('mute');
const talk = $<HTMLInputElement>('talk');
const listen = $<HTMLInputElement>('listen');
const memberList = $<HTMLUListElement>('members');
const meter = $<HTMLMeterElement>('level');

const REFUSALS: Record<string, string> = {
  locked: 'The conference is locked: nobody can join now.',
  full: 'The conference is full.',
};

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

// Fields from the address (?conference=&name=&user=&token=&secret=) fill the form.
const query = new URLSearchParams(location.search);
for (const field of ['conference', 'name', 'user', 'token', 'secret']) {
  const value = query.get(field);
  if (value) $<HTMLInputElement>(field).value = value;
}
if (!query.get('user')) $<HTMLDetailsElement>('account-details').open = true;
// ?processing=off: the microphone as it is (music, measurements).
if (query.get('processing') === 'off') $<HTMLInputElement>('processing').checked = false;

interface Call {
  session: CallSession;
  api: ConferenceApi;
  conferenceId: string;
  members: Map<string, MemberView>;
  talking: Set<string>;
  stop: AbortController;
  microphone: MediaStream;
  audio: AudioContext;
}
let current: Call | null = null;

function renderMembers(): void {
  if (!current) return;
  const { members, talking, session } = current;
  memberList.replaceChildren(
    ...[...members.values()].filter((m) => m.state === 'active').map((m) => {
      const item = document.createElement('li');
      item.dataset.memberId = m.id;
      const isTalking = talking.has(m.id);
      item.classList.toggle('talking', isTalking);
      const flags = [isTalking ? 'talking' : '', m.mute ? 'muted' : '', m.deaf ? 'deaf' : ''].filter(Boolean).join(', ');
      item.textContent = `${m.callId ?? m.id}${m.id === session.memberId ? ' (you)' : ''}`;
      if (flags) {
        const span = document.createElement('span');
        span.className = 'flags';
        span.textContent = flags;
        item.append(span);
      }
      return item;
    }),
  );
  const me = members.get(session.memberId);
  if (me) {
    muteButton.setAttribute('aria-pressed', String(me.mute));
    muteButton.textContent = me.mute ? 'Unmute' : 'Mute';
    talk.value = String(me.talkLevel);
    listen.value = String(me.listenLevel);
    $<HTMLOutputElement>('talk-value').value = String(me.talkLevel);
    $<HTMLOutputElement>('listen-value').value = String(me.listenLevel);
  }
}

async function refreshMembers(): Promise<void> {
  if (!current) return;
  const list = await current.api.members(current.conferenceId);
  if (!current) return;
  current.members = new Map(list.map((m) => [m.id, m]));
  for (const m of list) if (m.talking) current.talking.add(m.id);
  renderMembers();
}

// Our microphone's level, as the meter shows it.
function meterMicrophone(audio: AudioContext, microphone: MediaStream, signal: AbortSignal): void {
  const analyser = audio.createAnalyser();
  analyser.fftSize = 1024;
  audio.createMediaStreamSource(microphone).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const draw = (): void => {
    if (signal.aborted) return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    requestAnimationFrame(draw);
  };
  draw();
}

function ended(text: string, error = false): void {
  if (!current) return;
  current.stop.abort();
  for (const track of current.microphone.getTracks()) track.stop();
  void current.audio.close();
  current = null;
  call.hidden = true;
  form.hidden = false;
  memberList.replaceChildren();
  say(text, error);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void join();
});

async function join(): Promise<void> {
  const value = (id: string): string => $<HTMLInputElement>(id).value.trim();
  const conferenceId = value('conference');
  const api = new ConferenceApi({ userId: value('user'), token: value('token'), secret: value('secret') });
  const transport: SoftphoneTransport = await chooseTransport(api);
  $<HTMLButtonElement>('join-button').disabled = true;
  say('Asking for the microphone…');
  let microphone: MediaStream;
  try {
    const processing = $<HTMLInputElement>('processing').checked;
    microphone = await navigator.mediaDevices.getUserMedia({
      audio: processing ? true : { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      video: false,
    });
  } catch (error) {
    $<HTMLButtonElement>('join-button').disabled = false;
    say(`The microphone is not available: ${(error as Error).message}`, true);
    return;
  }
  say('Joining…');
  let session: CallSession;
  try {
    session = await transport.join({ conferenceId, name: value('name'), microphone });
  } catch (error) {
    for (const track of microphone.getTracks()) track.stop();
    $<HTMLButtonElement>('join-button').disabled = false;
    if (error instanceof JoinError) {
      const text =
        (error.reason && REFUSALS[error.reason]) ??
        (error.code === 'ERR_NOT_FOUND' ? `There is no conference ${conferenceId}.` : error.code === 'ERR_UNAUTHORIZED' || error.code === 'ERR_AUTH' ? 'The account details are wrong.' : error.message);
      say(`Join refused: ${text}`, true);
    } else {
      say(`Join failed: ${(error as Error).message}`, true);
    }
    return;
  }
  $<HTMLButtonElement>('join-button').disabled = false;
  const audio = new AudioContext();
  current = { session, api, conferenceId, members: new Map(), talking: new Set(), stop: new AbortController(), microphone, audio };
  remote.srcObject = session.remoteStream;
  void remote.play().catch(() => {});
  form.hidden = true;
  call.hidden = false;
  say(`In conference ${conferenceId} as ${value('name')}.`);
  meterMicrophone(audio, microphone, current.stop.signal);
  session.onLost((why) => ended(`Connection lost: ${why}.`, true));
  const mine = current;
  void api
    .events(conferenceId, (payload) => onEvent(mine, payload), mine.stop.signal)
    .then(() => {
      if (current === mine) ended('Connection lost: the server closed the event stream.', true);
    })
    .catch((error: unknown) => {
      if (current === mine && !mine.stop.signal.aborted) ended(`Connection lost: ${(error as Error).message}.`, true);
    });
  await refreshMembers();
  $<HTMLButtonElement>('mute').focus();
}

function onEvent(owner: Call, payload: Record<string, unknown>): void {
  if (current !== owner) return;
  const memberId = payload.memberId as string | undefined;
  switch (payload.eventType) {
    case 'talking':
      if (!memberId) return;
      if (payload.status === 'start') owner.talking.add(memberId);
      else owner.talking.delete(memberId);
      renderMembers();
      return;
    case 'conference-member':
      if (memberId === owner.session.memberId && payload.state === 'completed') {
        ended('You left the conference.');
        return;
      }
      void refreshMembers();
      return;
    case 'dtmf':
      void refreshMembers();
      return;
    case 'conference':
      if (payload.status === 'completed') ended('The conference ended.');
      return;
  }
}

muteButton.addEventListener('click', () => {
  if (!current) return;
  const muted = muteButton.getAttribute('aria-pressed') === 'true';
  void current.api.updateMember(current.session.memberUrl, { mute: !muted }).then(refreshMembers, (e: Error) => say(e.message, true));
});
$<HTMLButtonElement>('leave').addEventListener('click', () => {
  if (!current) return;
  const { session } = current;
  ended('You left the conference.');
  void session.leave();
});
for (const [input, field] of [[talk, 'talkLevel'], [listen, 'listenLevel']] as const) {
  input.addEventListener('change', () => {
    if (!current) return;
    void current.api.updateMember(current.session.memberUrl, { [field]: Number(input.value) }).then(refreshMembers, (e: Error) => say(e.message, true));
  });
}
$<HTMLDivElement>('dialpad').addEventListener('click', (event) => {
  const key = (event.target as HTMLElement).closest('button')?.dataset.key;
  if (key && current) current.session.sendDtmf(key);
});
// Typing a key's digit presses it while in a call (outside text fields).
document.addEventListener('keydown', (event) => {
  if (!current || event.target instanceof HTMLInputElement) return;
  if (/^[0-9*#]$/.test(event.key)) current.session.sendDtmf(event.key);
});
