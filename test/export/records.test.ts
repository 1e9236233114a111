import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { auditRecord, encodeObject, lastSeqOfKey, objectKey, partitionOf, requestRecord, type ExportRow } from '../../core/export/records';
import { describeError, MAX_RETRY_DELAY_MS, retryDelayMs } from '../../core/export/exporter';
import { createExportS3Client } from '../../core/export/s3';

const request = requestRecord({
  seq: '42', at: new Date('2024-05-01T09:59:58.100Z'), id: '00000000-0000-4000-8000-000000000042', principal_id: 'tag:ci', node_name: null,
  client: 'codex', user_agent: null, session_id: null, provider: 'openai', model: 'gpt-5', upstream_model: null, endpoint: 'responses',
  status: 502, stream: false, input_tokens: '5000000000', output_tokens: '0', cached_input_tokens: '0', cache_write_tokens: '0', reasoning_tokens: '0',
  usage_known: false, cost_micros: null, latency_ms: 30001, ttfb_ms: null, error_class: 'upstream_unreachable', tool_calls: 0,
});
const audit = auditRecord({ seq: '7', at: new Date('2024-05-01T10:00:00Z'), actor: 'system', action: 'setProviderKey', target: 'provider:openai', detail: '{"last4":"abcd"}' });

/** Field names in a markdown table of a section of docs/export-schema.md, in order. */
function documentedFields(heading: string): string[] {
  const doc = readFileSync(path.join(__dirname, '../../docs/export-schema.md'), 'utf8');
  const start = doc.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const section = doc.slice(start + heading.length).split(/\n#{2,3} /)[0];
  return [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
}

describe('export records (schema version 1)', () => {
  it('serialise exactly the documented fields, in the documented order', () => {
    expect(Object.keys(request)).toEqual(documentedFields('### Request records'));
    expect(Object.keys(audit)).toEqual(documentedFields('### Audit records'));
    expect(documentedFields('Every record has these four fields:')).toEqual(['schema_version', 'kind', 'id', 'at']);
  });

  it('keep ids as strings, tokens as exact integers, and unknown cost as null in both money fields', () => {
    expect(request).toMatchObject({ schema_version: 1, kind: 'request', id: '42', at: '2024-05-01T09:59:58.100Z', input_tokens: 5_000_000_000, usage_known: false, cost_usd: null, cost_micros: null, ttfb_ms: null });
    const priced = requestRecord({ ...rowOf(request), cost_micros: '1234567' });
    expect(priced.cost_micros).toBe('1234567');
    expect(priced.cost_usd).toBe(1.234567);
    expect(audit).toEqual({ schema_version: 1, kind: 'audit', id: '7', at: '2024-05-01T10:00:00.000Z', actor: 'system', action: 'setProviderKey', target: 'provider:openai', detail: '{"last4":"abcd"}' });
  });

  it('encode gzip JSON Lines that are byte-identical for the same rows (a retry rewrites the same object)', () => {
    const rows: ExportRow[] = [{ seq: 42n, at: new Date(request.at), record: request }, { seq: 43n, at: new Date(request.at), record: { ...request, id: '43', user_agent: 'line\nbreak "quoted"' } }];
    const a = encodeObject(rows);
    const b = encodeObject(rows.map((r) => ({ ...r, record: { ...r.record } })));
    expect(a.equals(b)).toBe(true);
    const text = gunzipSync(a).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]).user_agent).toBe('line\nbreak "quoted"');
  });

  it('name objects by UTC hour partition and id range', () => {
    expect(partitionOf(new Date('2024-05-01T23:59:59.999-02:00'))).toBe('dt=2024-05-02/hour=01');
    expect(objectKey('tg/records', 'requests', new Date('2024-05-01T09:59:58.100Z'), 1n, 20n)).toBe('tg/records/requests/dt=2024-05-01/hour=09/1-20.jsonl.gz');
    expect(objectKey('', 'audit', new Date('2024-05-01T00:00:00Z'), 9007199254740993n, 9007199254740995n)).toBe('audit/dt=2024-05-01/hour=00/9007199254740993-9007199254740995.jsonl.gz');
    expect(lastSeqOfKey('tg/requests/dt=2024-05-01/hour=09/101-150.jsonl.gz', 101n)).toBe(150n);
    expect(lastSeqOfKey('tg/requests/dt=2024-05-01/hour=09/1010-1050.jsonl.gz', 101n)).toBeNull();
    expect(lastSeqOfKey('tg/requests/dt=2024-05-01/hour=09/101-150.json', 101n)).toBeNull();
  });
});

describe('export retries', () => {
  it('back off exponentially and never wait more than 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => retryDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(MAX_RETRY_DELAY_MS).toBe(30_000);
  });

  it('describe failures in one actionable line', () => {
    const denied = Object.assign(new Error('The AWS Access Key Id you provided does not exist in our records.'), { name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
    expect(describeError(denied)).toBe('InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records. (HTTP 403) — check the AWS credentials and that they allow s3:PutObject and s3:ListBucket on the bucket');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(describeError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:9 — cannot reach the S3 endpoint');
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(describeError(noCredentials)).toMatch(/^CredentialsProviderError: Could not load credentials .* — no AWS credentials in the default chain/);
    expect(describeError(refused, 'Postgres')).toBe('connect ECONNREFUSED 127.0.0.1:9 — cannot reach Postgres');
    // How the SDK wraps a network error that comes from another realm (as under jest).
    expect(describeError(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9'))).toBe('connect ECONNREFUSED 127.0.0.1:9 — cannot reach the S3 endpoint');
    expect(describeError(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } })))
      .toBe('NoSuchBucket: The specified bucket does not exist (HTTP 404) — check TAILGATE_EXPORT_S3_BUCKET');
    expect(describeError(new Error('x'.repeat(2000))).length).toBe(500);
  });
});

describe('export S3 client', () => {
  it('uses path-style addressing and a default region for an S3-compatible endpoint', async () => {
    const client = createExportS3Client({ bucket: 'b', prefix: 'p', endpoint: 'http://127.0.0.1:9000', intervalMs: 60_000 });
    try {
      expect(client.config.forcePathStyle).toBe(true);
      expect(await client.config.region()).toBe('us-east-1');
      expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    } finally {
      client.destroy();
    }
  });

  it('leaves AWS S3 on virtual-hosted addressing with the configured region', async () => {
    const client = createExportS3Client({ bucket: 'b', prefix: 'p', region: 'eu-west-1', intervalMs: 60_000 });
    try {
      expect(client.config.forcePathStyle).toBeFalsy();
      expect(await client.config.region()).toBe('eu-west-1');
    } finally {
      client.destroy();
    }
  });
});

function rowOf(r: typeof request) {
  return {
    seq: r.id, at: new Date(r.at), id: r.request_id, principal_id: r.principal, node_name: r.node, client: r.client, user_agent: r.user_agent,
    session_id: r.session_id, provider: r.provider, model: r.model, upstream_model: r.upstream_model, endpoint: r.endpoint, status: r.status,
    stream: r.stream, input_tokens: String(r.input_tokens), output_tokens: String(r.output_tokens), cached_input_tokens: String(r.cached_input_tokens),
    cache_write_tokens: String(r.cache_write_tokens), reasoning_tokens: String(r.reasoning_tokens), usage_known: r.usage_known, cost_micros: r.cost_micros,
    latency_ms: r.latency_ms, ttfb_ms: r.ttfb_ms, error_class: r.error_class, tool_calls: r.tool_calls,
  };
}
