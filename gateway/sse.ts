/**
 * Byte-level Server-Sent Events parser (WHATWG "event stream interpretation"), fed arbitrary
 * chunks. It never buffers more than one line: a line longer than `maxLineBytes` is dropped and
 * flagged rather than grown without bound (a hostile or broken upstream must not exhaust memory).
 * Events carry their raw `data` text; callers decide whether an event is worth JSON.parse.
 */
export interface SseEvent {
  event: string;
  data: string;
}

const LF = 0x0a;
const CR = 0x0d;

export class SseParser {
  private pending: Buffer | null = null;
  private skipLeadingLf = false;
  private discarding = false;
  private eventName = '';
  private dataLines: string[] = [];
  overlongLines = 0;

  constructor(private readonly onEvent: (event: SseEvent) => void, private readonly maxLineBytes = 4 * 1024 * 1024) {}

  push(chunk: Buffer): void {
    let start = 0;
    if (this.skipLeadingLf && chunk.length > 0) {
      this.skipLeadingLf = false;
      if (chunk[0] === LF) start = 1;
    }
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) continue;
      this.completeLine(chunk.subarray(start, i));
      if (byte === CR) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === LF) i++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = i + 1;
    }
    if (start < chunk.length) this.keepPartial(chunk.subarray(start));
  }

  /** End of stream: a final event without its blank line is still dispatched (as browsers do not, but upstreams cut short do matter for metering). */
  end(): void {
    if (this.pending && !this.discarding) this.processLine(this.pending.toString('utf8'));
    this.pending = null;
    this.discarding = false;
    this.dispatch();
  }

  private keepPartial(part: Buffer): void {
    if (this.discarding) return;
    const size = (this.pending?.length ?? 0) + part.length;
    if (size > this.maxLineBytes) {
      this.pending = null;
      this.discarding = true;
      this.overlongLines++;
      return;
    }
    // Copy: the chunk belongs to the socket and may be reused once this call returns.
    this.pending = this.pending ? Buffer.concat([this.pending, part]) : Buffer.from(part);
  }

  private completeLine(tail: Buffer): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    let line: string;
    if (this.pending) {
      if (this.pending.length + tail.length > this.maxLineBytes) {
        this.pending = null;
        this.overlongLines++;
        return;
      }
      line = Buffer.concat([this.pending, tail]).toString('utf8');
      this.pending = null;
    } else {
      if (tail.length > this.maxLineBytes) {
        this.overlongLines++;
        return;
      }
      line = tail.toString('utf8');
    }
    this.processLine(line);
  }

  private processLine(line: string): void {
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return; // ":" comment (OpenRouter keep-alives)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
  }

  private dispatch(): void {
    if (this.dataLines.length > 0) {
      this.onEvent({ event: this.eventName || 'message', data: this.dataLines.length === 1 ? this.dataLines[0] : this.dataLines.join('\n') });
    }
    this.dataLines = [];
    this.eventName = '';
  }
}
