import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { createAdminApi, type AdminApi } from '../../api';
import type { Prisma } from '../../core/db/client';
import { createLogger } from '../../core/logger';
import type { Principal } from '../../core/principal';
import { KeyVault } from '../../core/vault';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * The admin API behind a plain http server, the way the gateway mounts it: the principal comes
 * from the connection (here its loopback source address stands in for Tailscale whois), never
 * from anything the client sends.
 */
export const ADMIN: Principal = { id: 'user:admin@example.com', kind: 'USER', login: 'admin@example.com', tags: [], displayName: 'Ada Admin', role: 'admin', allowedModels: null };
export const ALICE: Principal = { id: 'user:alice@example.com', kind: 'USER', login: 'alice@example.com', tags: [], displayName: 'Alice', role: 'user', allowedModels: null };
export const CI_BOT: Principal = { id: 'tag:ci', kind: 'TAGGED', tags: ['tag:ci'], role: 'user', allowedModels: null };

export type Caller = 'admin' | 'alice' | 'ci';

const ADDRESSES: Record<Caller, { address: string; principal: Principal }> = {
  admin: { address: '127.0.0.2', principal: ADMIN },
  alice: { address: '127.0.0.3', principal: ALICE },
  ci: { address: '127.0.0.4', principal: CI_BOT },
};

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string; requestId?: string } }[];
}

export interface Harness {
  db: TestDatabase;
  api: AdminApi;
  vault: KeyVault;
  url: string;
  /** Every log line the API wrote, as raw JSON text. */
  logs: string[];
  /** A GraphQL POST as `caller`, over a real socket bound to that caller's address. */
  gql<T = Record<string, any>>(caller: Caller, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** A raw HTTP request as `caller`. */
  http(caller: Caller, opts: { method: string; path?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;
  close(): Promise<void>;
}

export async function startHarness(opts: { now?: () => Date; wrapPrisma?: (prisma: Prisma) => Prisma } = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const vault = new KeyVault(randomBytes(32));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger('debug', sink);
  const api = await createAdminApi({ prisma: opts.wrapPrisma ? opts.wrapPrisma(db.prisma) : db.prisma, vault, log, now: opts.now });

  const byAddress = new Map(Object.values(ADDRESSES).map((a) => [a.address, a.principal]));
  const server = http.createServer((req, res) => {
    const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const principal = byAddress.get(remote);
    if (!principal) {
      res.statusCode = 403;
      res.end('unknown caller');
      return;
    }
    void api.handle(req, res, principal, null);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agents = Object.fromEntries(
    Object.entries(ADDRESSES).map(([caller, a]) => [caller, new Agent({ localAddress: a.address })]),
  ) as Record<Caller, Agent>;

  const rawHttp: Harness['http'] = async (caller, { method, path = '/graphql', headers = {}, body }) => {
    const res = await request(`${url}${path}`, { method: method as 'GET', headers, body, dispatcher: agents[caller] });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  return {
    db,
    api,
    vault,
    url,
    logs,
    http: rawHttp,
    async gql(caller, query, variables) {
      const res = await rawHttp(caller, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      const parsed = JSON.parse(res.text) as Pick<GraphQLResponse, 'data' | 'errors'>;
      return { ...res, data: parsed.data as never, errors: parsed.errors };
    },
    async close() {
      await Promise.all(Object.values(agents).map((agent) => agent.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.stop();
      await db.drop();
    },
  };
}

/** The codes of a response's errors, in order. */
export const codes = (res: GraphQLResponse): (string | undefined)[] => (res.errors ?? []).map((e) => e.extensions?.code);
