// A PCM app leg's spec: its wire form and what the shard says about it.
import type { MessagePort } from 'node:worker_threads';

/** An app leg as the shard opens it: PCM frames to and from the app over a MessagePort. */
export interface AppLegWireSpec {
  /** Always 'app'. */
  kind: 'app';
  /** The app's sample rate (8000..48000 of the supported set). */
  rate: number;
  /** The shard's end of the channel: `{pcm: Int16Array}` each way; transferred with the request. */
  port: MessagePort;
}

/** What the shard says about an app leg it opened. */
export interface AppLegWireInfo {
  /** Always 'app'. */
  kind: 'app';
}
