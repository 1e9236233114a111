// How an answer goes on the wire: a JSON body, or a stream of frames (SSE events, or elements of Gemini's
// progressively streamed JSON array) written one by one with optional delays and a cut after N frames.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimResponse, SimUsage } from './types';

/** Usage as a reader of the wire knows it after this point: native fields and their normalised meaning. */
export interface UsageSnapshot {
  native: Record<string, unknown>;
  usage: SimUsage;
}

export interface Frame {
  data: string;
  /** Usage known to the reader once this frame arrived (cumulative, not a delta). */
  usage?: UsageSnapshot;
  /** A tool call whose name this frame announces. */
  toolCall?: string;
  /** SSE comment (keep-alive): not counted by `reset-mid-stream`. */
  comment?: boolean;
}

export type Answer =
  /** A complete body: JSON, or a string sent as-is (`contentType`, default text/plain). */
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string>; contentType?: string;
      usage?: UsageSnapshot; toolCalls?: string[] }
  | { kind: 'stream'; contentType: string; frames: Frame[]; headers?: Record<string, string> };

export function jsonAnswer(body: unknown, extra: Omit<Extract<Answer, { kind: 'json' }>, 'kind' | 'body' | 'status'> = {},
  status = 200): Answer {
  return { kind: 'json', status, body, ...extra };
}

/** One SSE event. `eol` is `\r\n` for Google, whose server separates events with CRLF. */
export function sseFrame(event: string | null, data: unknown, extra: Omit<Frame, 'data'> = {}, eol = '\n'): Frame {
  return { data: `${event ? `event: ${event}${eol}` : ''}data: ${JSON.stringify(data)}${eol}${eol}`, ...extra };
}

export function sseComment(text: string): Frame {
  return { data: `: ${text}\n\n`, comment: true };
}

export interface DeliveryControl {
  delayMs: number;
  /** Drop the connection after this many frames (non-stream: after half the body). */
  cutAfter?: number;
  signal: AbortSignal;
}

function write(res: ServerResponse, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    // Resolve on error too: the caller notices a vanished client through the close event.
    res.write(data, () => resolve());
  });
}

/** Resolves once everything written so far has left the socket's buffer. */
async function flushed(res: ServerResponse): Promise<void> {
  const socket = res.socket;
  if (!socket || socket.destroyed || socket.writableLength === 0) return;
  await new Promise<void>((resolve) => {
    socket.once('drain', resolve);
    socket.once('close', resolve);
  });
}

/** Drop the connection once what was written reached the kernel: the peer sees a body cut short. */
async function cut(res: ServerResponse): Promise<void> {
  await flushed(res);
  res.socket?.destroy();
  res.destroy();
}

export async function deliver(res: ServerResponse, answer: Answer, record: SimResponse, ctl: DeliveryControl):
  Promise<void> {
  if (answer.kind === 'json') {
    const raw = typeof answer.body === 'string';
    const text = Buffer.from(raw ? String(answer.body) : JSON.stringify(answer.body));
    const contentType = answer.contentType ?? (raw ? 'text/plain; charset=utf-8' : 'application/json');
    record.status = answer.status;
    res.writeHead(answer.status, { 'content-type': contentType, 'content-length': String(text.length),
      ...answer.headers });
    if (ctl.cutAfter !== undefined) {
      await write(res, text.subarray(0, Math.floor(text.length / 2)));
      await cut(res);
      return;
    }
    res.end(text);
    if (answer.usage) applyUsage(record, answer.usage);
    record.toolCalls.push(...(answer.toolCalls ?? []));
    record.completed = true;
    return;
  }
  let gone = false;
  res.once('close', () => { gone = true; });
  record.status = 200;
  res.writeHead(200, { 'content-type': answer.contentType, 'cache-control': 'no-cache', ...answer.headers });
  res.flushHeaders();
  let counted = 0;
  for (const [i, frame] of answer.frames.entries()) {
    if (ctl.cutAfter !== undefined && counted >= ctl.cutAfter) break;
    if (i > 0 && ctl.delayMs > 0) {
      await sleep(ctl.delayMs, undefined, { signal: ctl.signal }).catch(() => undefined);
    }
    if (gone || ctl.signal.aborted) break;
    await write(res, frame.data);
    if (gone) break;
    if (frame.usage) applyUsage(record, frame.usage);
    if (frame.toolCall) record.toolCalls.push(frame.toolCall);
    if (!frame.comment) counted += 1;
  }
  if (ctl.signal.aborted) return; // simulator closing: close() drops the connection
  if (gone) {
    record.clientClosed = true;
    return;
  }
  if (ctl.cutAfter !== undefined) {
    await cut(res);
    return;
  }
  res.end();
  record.completed = true;
}

function applyUsage(record: SimResponse, snapshot: UsageSnapshot): void {
  record.nativeUsage = snapshot.native;
  record.usage = snapshot.usage;
}
