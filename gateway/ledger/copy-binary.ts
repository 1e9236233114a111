import { storedTokens, toolCallCount, type RequestRecord } from './record';

/**
 * Request rows in PostgreSQL's binary COPY format (the `COPY … FROM STDIN (FORMAT binary)` wire format:
 * a signature, then per row a field count and each field as a length and its bytes, -1 for NULL).
 *
 * PostgreSQL reads binary fields without parsing text: no timestamp, integer, uuid or boolean input
 * functions and no escape handling. Against text COPY the same 250-row batches measured 5.3–6.0 against
 * 6.3–6.7 µs of PostgreSQL CPU a row, and this encoder 0.34 against 0.47–0.59 µs a row for the COPY text
 * (bench lab, 30,000 rows, three alternated passes). Short ASCII strings are copied byte by byte here: a
 * call into Buffer#write per field would cost more than the copy.
 *
 * The field order and types must match REQUEST_COLUMNS in ledger.ts and the requests table exactly
 * (binary input is not converted): uuid, timestamptz, text ×9, int4, bool, int8 ×5, bool, int8, int4, int4,
 * text, int4.
 */
const REQUEST_FIELD_COUNT = 24;

/** PostgreSQL's timestamp epoch (2000-01-01T00:00:00Z) in Unix milliseconds: a timestamptz is microseconds since then. */
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const TWO_TO_32 = 4_294_967_296;
/** A row's fixed-width part: field count, 24 lengths, the uuid, seven int8s (time, five token counts, cost), four int4s, two bools. */
const FIXED_ROW_BYTES = 2 + REQUEST_FIELD_COUNT * 4 + 16 + 7 * 8 + 4 * 4 + 2;
const NUL = 0;
const REPLACEMENT_CHARACTER = '\uFFFD';

const DASH = 0x2d;
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

/** A hex digit's value, or -1. */
const hexValue = (c: number): number => (c < 128 ? HEX_VALUE[c] : -1);

export function encodeRequestRows(batch: readonly RequestRecord[], sessions: ReadonlyMap<string, string>): Buffer {
  const out = new BinaryCopyWriter(batch.length * 320 + 64);
  for (const r of batch) {
    const sessionId = sessions.get(r.id);
    out.reserve(FIXED_ROW_BYTES + textBytes(r.principalId) + textBytes(r.nodeName) + textBytes(r.client) + textBytes(r.userAgent) + textBytes(sessionId)
      + textBytes(r.provider) + textBytes(r.model) + textBytes(r.upstreamModel) + textBytes(r.endpoint) + textBytes(r.errorClass));
    const u = r.usage;
    out.fieldCount(REQUEST_FIELD_COUNT);
    out.uuid(r.id);
    out.int8((r.at.getTime() - POSTGRES_EPOCH_MS) * 1000);
    out.text(r.principalId);
    out.text(r.nodeName);
    out.text(r.client);
    out.text(r.userAgent);
    out.text(sessionId);
    out.text(r.provider);
    out.text(r.model);
    out.text(r.upstreamModel);
    out.text(r.endpoint);
    out.int4(r.status);
    out.bool(r.stream);
    out.int8(storedTokens(u.inputTokens));
    out.int8(storedTokens(u.outputTokens));
    out.int8(storedTokens(u.cachedInputTokens));
    out.int8(storedTokens(u.cacheWriteTokens));
    out.int8(storedTokens(u.reasoningTokens));
    out.bool(r.usageKnown);
    if (r.costMicros === null) out.null();
    else out.bigint8(r.costMicros);
    out.int4(Math.round(r.latencyMs));
    if (r.ttfbMs === undefined) out.null();
    else out.int4(Math.round(r.ttfbMs));
    out.text(r.errorClass);
    out.int4(toolCallCount(r));
  }
  return out.finish();
}

/** UTF-8 takes at most three bytes per UTF-16 code unit (a surrogate pair, two units, takes four). */
const textBytes = (s: string | undefined | null): number => (s ? s.length * 3 : 0);

class BinaryCopyWriter {
  private buf: Buffer;
  private at: number;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 64));
    SIGNATURE.copy(this.buf, 0);
    this.at = SIGNATURE.length;
    this.int32(0); // flags: no OIDs
    this.int32(0); // header extension length
  }

  /** Room for `bytes` more before the next row's writes, which do not check bounds themselves. */
  reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  fieldCount(n: number): void {
    this.buf[this.at] = n >>> 8;
    this.buf[this.at + 1] = n & 0xff;
    this.at += 2;
  }

  null(): void {
    this.int32(-1);
  }

  int4(value: number): void {
    this.int32(4);
    this.int32(value);
  }

  /** A safe integer as int8: high and low 32 bits, two's complement. */
  int8(value: number): void {
    this.int32(8);
    const high = Math.floor(value / TWO_TO_32);
    this.int32(high);
    this.int32(value - high * TWO_TO_32);
  }

  bigint8(value: bigint): void {
    if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.int8(Number(value));
      return;
    }
    this.int32(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, value), this.at);
    this.at += 8;
  }

  bool(value: boolean): void {
    this.int32(1);
    this.buf[this.at++] = value ? 1 : 0;
  }

  uuid(id: string): void {
    if (id.length !== 36) throw new Error(`ledger: request id ${JSON.stringify(id.slice(0, 40))} is not a UUID`);
    this.int32(16);
    const buf = this.buf;
    let at = this.at;
    let invalid = 0;
    for (let i = 0; i < 36; i++) {
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (id.charCodeAt(i) !== DASH) invalid = -1;
        continue;
      }
      const high = hexValue(id.charCodeAt(i));
      const low = hexValue(id.charCodeAt(++i));
      invalid |= high | low;
      buf[at++] = (high << 4) | low;
    }
    if (invalid < 0) throw new Error(`ledger: request id ${JSON.stringify(id)} is not a UUID`);
    this.at = at;
  }

  /**
   * UTF-8 text. PostgreSQL text cannot hold NUL (ledger.ts replaces it in caller-chosen strings; this
   * catches the rest), so it becomes U+FFFD rather than fail the whole batch.
   */
  text(value: string | undefined | null): void {
    if (value === undefined || value === null) {
      this.null();
      return;
    }
    const buf = this.buf;
    const start = this.at + 4;
    let at = start;
    const n = value.length;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80 || c === NUL) {
        at = -1;
        break;
      }
      buf[at++] = c;
    }
    if (at < 0) at = start + buf.write(value.includes('\0') ? value.replaceAll('\0', REPLACEMENT_CHARACTER) : value, start, 'utf8');
    this.int32(at - start);
    this.at = at;
  }

  finish(): Buffer {
    this.reserve(2);
    this.buf[this.at] = 0xff; // the trailer: a field count of -1
    this.buf[this.at + 1] = 0xff;
    this.at += 2;
    return this.buf.subarray(0, this.at);
  }

  private int32(value: number): void {
    const buf = this.buf;
    const at = this.at;
    buf[at] = value >>> 24;
    buf[at + 1] = value >>> 16;
    buf[at + 2] = value >>> 8;
    buf[at + 3] = value;
    this.at = at + 4;
  }
}
