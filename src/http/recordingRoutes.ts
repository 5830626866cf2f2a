// Recordings in the Conference API (Catapult-style paths under a conference and a member):
// start, list, read and stop. Files go under the server's recordings directory, one folder per
// user; a request names at most a file name, never a path.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Engine, MemberRecordOptions, RecordOptions, Recording } from '../index.ts';
import { conferencePath, resourceLookup, type Req } from './conferenceRoutes.ts';
import { HttpError } from './httpErrors.ts';
import { conferenceParams, errors, memberParams } from './schemas.ts';
import type { UserRegistry } from './users.ts';

/** What the recording routes work with. */
export interface RecordingRouteContext {
  engine: Engine;
  users: UserRegistry;
  /** The directory recordings are written under (a folder per user, made on first use). */
  recordingsDir: string;
}

const recordingParams = {
  type: 'object',
  required: ['userId', 'conferenceId', 'recordingId'],
  properties: { userId: { type: 'string', maxLength: 128 }, conferenceId: { type: 'string', maxLength: 128 }, recordingId: { type: 'string', maxLength: 128 } },
} as const;

const recordFields = {
  fileName: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$', description: 'a file name in the recordings directory (default: the recording id)' },
  format: { type: 'string', enum: ['wav', 'ogg-opus'], description: "'wav' (PCM 16-bit, the conference rate) or 'ogg-opus'; default from fileName's extension, else wav" },
  opusBitrate: { type: 'integer', minimum: 6000, maximum: 510000 },
  bufferMs: { type: 'integer', minimum: 200, maximum: 60000, description: 'how far the disk may fall behind before the recording fails as too slow' },
  tag: { type: 'string', maxLength: 256 },
} as const;

const startConferenceBody = {
  type: 'object',
  properties: { ...recordFields, multitrack: { type: 'boolean', description: 'also one file per member present, aligned with the mix' } },
  additionalProperties: false,
} as const;

const startMemberBody = {
  type: 'object',
  properties: { ...recordFields, direction: { type: 'string', enum: ['hears', 'says'], description: 'what the member hears (default) or says' } },
  additionalProperties: false,
} as const;

const stopBody = { type: 'object', required: ['state'], properties: { state: { type: 'string', enum: ['completed'] } }, additionalProperties: false } as const;

const track = {
  type: 'object',
  properties: { path: { type: 'string' }, source: { type: 'string' }, memberId: { type: 'string' }, size: { type: 'integer' } },
} as const;

const recordingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    conferenceId: { type: 'string' },
    memberId: { type: 'string' },
    path: { type: 'string' },
    format: { type: 'string' },
    state: { type: 'string', enum: ['recording', 'done', 'failed'] },
    startedTime: { type: 'string' },
    endedTime: { type: 'string' },
    durationMs: { type: 'number' },
    size: { type: 'integer' },
    reason: { type: 'string' },
    message: { type: 'string' },
    tracks: { type: 'array', items: track },
    tag: { type: 'string' },
  },
} as const;

type Body = { fileName?: string; format?: 'wav' | 'ogg-opus'; opusBitrate?: number; bufferMs?: number; tag?: string; multitrack?: boolean; direction?: 'hears' | 'says' };

/** Registers the recording routes (auth is the caller's onRequest hook). */
export function registerRecordingRoutes(app: FastifyInstance, context: RecordingRouteContext): void {
  const { engine, users, recordingsDir } = context;
  const { conferenceOf, memberOf } = resourceLookup(engine, users);

  // The file a request names (or the default), in the user's folder.
  const pathOf = (request: Req, body: Body): string => {
    const folder = join(recordingsDir, request.user!.userId);
    mkdirSync(folder, { recursive: true });
    const extension = body.format === 'ogg-opus' ? '.opus' : '.wav';
    return join(folder, body.fileName ?? `${request.params.conferenceId}-${Date.now()}${extension}`);
  };
  const optionsOf = (request: Req): RecordOptions & MemberRecordOptions => {
    const body = (request.body ?? {}) as Body;
    const { fileName: _fileName, ...rest } = body;
    return { ...rest, path: pathOf(request, body) };
  };
  const created = (request: Req, reply: FastifyReply, recording: Recording): unknown => {
    reply.code(201).header('location', `${conferencePath(request.user!.userId, recording.conferenceId)}/recordings/${recording.id}`);
    return recording.toJSON();
  };
  const recordingOf = (request: Req & { params: { recordingId?: string } }): Recording => {
    const conference = conferenceOf(request);
    const id = (request.params as { recordingId: string }).recordingId;
    const recording = conference.getRecording(id);
    if (!recording) throw new HttpError(404, 'ERR_NOT_FOUND', `no recording ${id} in conference ${conference.id}`);
    return recording;
  };

  app.post('/v1/users/:userId/conferences/:conferenceId/recordings', {
    schema: {
      summary: "Record the conference's mix (and, with multitrack, each member) to a file",
      tags: ['recordings'],
      params: conferenceParams,
      body: startConferenceBody,
      response: { 201: recordingSchema, ...errors(400, 401, 404, 409, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const conference = conferenceOf(request);
    const { direction: _direction, ...fields } = optionsOf(request);
    return created(request, reply, await conference.record(fields));
  });

  app.post('/v1/users/:userId/conferences/:conferenceId/members/:memberId/recordings', {
    schema: {
      summary: 'Record what one member hears or says',
      tags: ['recordings'],
      params: memberParams,
      body: startMemberBody,
      response: { 201: recordingSchema, ...errors(400, 401, 404, 409, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const { member } = memberOf(request);
    const { multitrack: _multitrack, ...fields } = optionsOf(request);
    return created(request, reply, await member.record(fields));
  });

  app.get('/v1/users/:userId/conferences/:conferenceId/recordings', {
    schema: {
      summary: "A conference's recordings, running and recently ended",
      tags: ['recordings'],
      params: conferenceParams,
      response: { 200: { type: 'array', items: recordingSchema }, ...errors(401, 404, 429) },
    },
  }, async (request: Req) => conferenceOf(request).recordings.map((r) => r.toJSON()));

  app.get('/v1/users/:userId/conferences/:conferenceId/recordings/:recordingId', {
    schema: { summary: 'One recording', tags: ['recordings'], params: recordingParams, response: { 200: recordingSchema, ...errors(401, 404, 429) } },
  }, async (request: Req) => recordingOf(request).toJSON());

  app.post('/v1/users/:userId/conferences/:conferenceId/recordings/:recordingId', {
    schema: {
      summary: 'Stop a recording ({"state": "completed"}); answers once its files are complete',
      tags: ['recordings'],
      params: recordingParams,
      body: stopBody,
      response: { 200: recordingSchema, ...errors(400, 401, 404, 415, 429) },
    },
  }, async (request: Req) => recordingOf(request).stop());
}
