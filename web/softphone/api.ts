// The Conference API as the page uses it: authenticated fetches, member updates, the member list
// and the live event stream (Server-Sent Events read through fetch, which can carry the header).

/** The account the page calls the API with. */
export interface Account {
  userId: string;
  token: string;
  secret: string;
}

/** A member as GET …/members lists it. */
export interface MemberView {
  id: string;
  callId?: string;
  state: string;
  mute: boolean;
  deaf: boolean;
  hold: boolean;
  talking: boolean;
  talkLevel: number;
  listenLevel: number;
}

/** An error answer's body. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: { reason?: string };
}

/** A client of one account. */
export class ConferenceApi {
  readonly #account: Account;
  readonly #base: string;

  /** A client of `account` on the server at `base` (default: this page's). */
  constructor(account: Account, base = '') {
    this.#account = account;
    this.#base = base;
  }

  /** The path of a conference. */
  conferencePath(conferenceId: string): string {
    return `/v1/users/${encodeURIComponent(this.#account.userId)}/conferences/${encodeURIComponent(conferenceId)}`;
  }

  /** A fetch with the account's credentials. */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Basic ${btoa(`${this.#account.token}:${this.#account.secret}`)}`);
    if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${this.#base}${path}`, { ...init, headers });
  }

  /** Changes a member (mute, talkLevel, listenLevel ...). */
  async updateMember(memberUrl: string, fields: Record<string, unknown>): Promise<void> {
    const answer = await this.fetch(memberUrl, { method: 'POST', body: JSON.stringify(fields) });
    if (!answer.ok) throw new Error(((await answer.json()) as ErrorBody).message);
  }

  /** A conference's members. */
  async members(conferenceId: string): Promise<MemberView[]> {
    const answer = await this.fetch(`${this.conferencePath(conferenceId)}/members`);
    if (!answer.ok) throw new Error(((await answer.json()) as ErrorBody).message);
    return (await answer.json()) as MemberView[];
  }

  /** Streams a conference's events to `listener` until `signal` aborts; resolves when the stream ends. */
  async events(conferenceId: string, listener: (payload: Record<string, unknown>) => void, signal: AbortSignal): Promise<void> {
    const answer = await this.fetch(`/v1/users/${encodeURIComponent(this.#account.userId)}/events?conferenceId=${encodeURIComponent(conferenceId)}`, { signal });
    if (!answer.ok || !answer.body) throw new Error(`the event stream answered ${answer.status}`);
    const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
        if (data && !block.startsWith('event: ')) listener(JSON.parse(data) as Record<string, unknown>);
      }
    }
  }
}
