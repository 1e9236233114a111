// Fake tailscaled LocalAPI for tests: `GET /localapi/v0/whois?addr=<ip:port>` on a unix socket, answered the way
// tailscaled's ipn/localapi does it (PROTOCOLS.md a). Identities are keyed by IP (the port is ignored), so tests
// bind clients to 127.0.0.2, 127.0.0.3 … with `localAddress` to act as different people.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface FakeUserNode {
  login: string;
  displayName?: string;
  /** Machine name; default from the login's local part. */
  nodeName?: string;
  /** App capabilities, `{capName: [values…]}` (values from every matching grant). */
  caps?: Record<string, unknown[]>;
  /** A node shared in from another tailnet (Hostinfo.ShareeNode). */
  sharee?: boolean;
  groups?: string[];
}

export interface FakeTaggedNode {
  tags: string[];
  nodeName: string;
  caps?: Record<string, unknown[]>;
}

/** What the fake will say about a node, for assertions. IDs are decimal strings (they exceed 2^53). */
export interface FakeNodeInfo {
  ip: string;
  nodeId: string;
  stableId: string;
  nodeName: string;
  fqdn: string;
  nodeKey: string;
  userId: string;
  loginName: string;
  tags: string[];
}

interface Entry {
  info: FakeNodeInfo;
  machineKey: string;
  discoKey: string;
  displayName: string;
  caps: Record<string, unknown[]> | undefined;
  sharee: boolean;
  groups: string[] | undefined;
}

const LOCALAPI_HOST = 'local-tailscaled.sock';
const TAILNET = 'tail1234.ts.net';
const VERSION = '1.90.0-tsim';
// tailcfg IDs are int64 and real ones exceed Number.MAX_SAFE_INTEGER; keep them above 2^53 on purpose.
const NODE_ID_BASE = 7_300_000_000_000_000_000n;
const USER_ID_BASE = 9_100_000_000_000_000_000n;
const TAGGED_DEVICES_USER_ID = 9_199_999_999_999_999_999n;
const INT64 = (n: bigint): string => `@@int64:${n}@@`;

function unmap(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** IP of a whois `addr` (`ip:port`, `[v6]:port`, bare IP), or undefined when it doesn't parse. */
function ipOfAddr(addr: string): string | undefined {
  let host = addr;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(addr);
  if (bracketed) host = bracketed[1];
  else if (/^[^:]+:\d+$/.test(addr)) host = addr.slice(0, addr.lastIndexOf(':'));
  host = unmap(host);
  return isIP(host) ? host : undefined;
}

export class FakeLocalApi {
  /** Every `addr` asked for, in order, whatever the answer was. */
  readonly lookups: string[] = [];
  private readonly nodes = new Map<string, Entry>();
  private readonly failures = new Map<string, { remaining: number; status: number }>();
  private server: http.Server | undefined;
  private counter = 0n;
  private readonly userIds = new Map<string, bigint>();

  private constructor(readonly socketPath: string, private readonly ownDir: string | undefined) {}

  /** Listen on `<dir>/tailscaled.sock`; without `dir`, in a fresh temp dir removed by close(). */
  static async start(dir?: string): Promise<FakeLocalApi> {
    const ownDir = dir ? undefined : await fs.mkdtemp(path.join(os.tmpdir(), 'tailgate-localapi-'));
    const api = new FakeLocalApi(path.join(dir ?? ownDir!, 'tailscaled.sock'), ownDir);
    await api.up();
    return api;
  }

  addUser(ip: string, node: FakeUserNode): FakeNodeInfo {
    const nodeName = node.nodeName ?? `${node.login.split('@')[0].replace(/[^a-z0-9-]/gi, '-').toLowerCase()}-laptop`;
    const displayName = node.displayName ?? node.login.split('@')[0];
    // One person's devices share a user ID.
    const userId = this.userIds.get(node.login) ?? USER_ID_BASE + BigInt(this.userIds.size + 1) * 104_729n;
    this.userIds.set(node.login, userId);
    const entry = this.entry(ip, nodeName, node.login, userId, []);
    this.nodes.set(entry.info.ip, { ...entry, displayName, caps: node.caps, sharee: node.sharee ?? false,
      groups: node.groups });
    return entry.info;
  }

  addTagged(ip: string, node: FakeTaggedNode): FakeNodeInfo {
    if (node.tags.length === 0) throw new Error('addTagged: a tagged node needs at least one tag');
    const entry = this.entry(ip, node.nodeName, 'tagged-devices', TAGGED_DEVICES_USER_ID, node.tags);
    this.nodes.set(entry.info.ip, { ...entry, displayName: 'Tagged Devices', caps: node.caps, sharee: false,
      groups: undefined });
    return entry.info;
  }

  remove(ip: string): void {
    this.nodes.delete(unmap(ip));
  }

  describe(ip: string): FakeNodeInfo | undefined {
    return this.nodes.get(unmap(ip))?.info;
  }

  /** The next `n` lookups of `ip` fail with `status` (404 mimics userspace proxy-map registration lag). */
  failNext(ip: string, n: number, status = 404): void {
    this.failures.set(unmap(ip), { remaining: n, status });
  }

  /** Stop answering, as a crashed tailscaled: the socket file stays, connecting gives ECONNREFUSED. */
  async down(): Promise<void> {
    if (!this.server) return;
    await this.stopServer();
    // Node unlinks a unix socket on close; link a dead socket in its place so connect() is refused, not ENOENT.
    const stale = `${this.socketPath}.stale`;
    const dead = http.createServer();
    await new Promise<void>((resolve, reject) => {
      dead.once('error', reject);
      dead.listen(stale, () => resolve());
    });
    await fs.link(stale, this.socketPath);
    await new Promise<void>((resolve) => dead.close(() => resolve()));
  }

  async up(): Promise<void> {
    if (this.server) return;
    await fs.rm(this.socketPath, { force: true });
    const server = http.createServer((req, res) => this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    await this.stopServer();
    await fs.rm(this.socketPath, { force: true });
    if (this.ownDir) await fs.rm(this.ownDir, { recursive: true, force: true });
  }

  // -------------------------------------------------------------------------------------------------------

  private async stopServer(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private entry(ip: string, nodeName: string, loginName: string, userId: bigint, tags: string[]):
    Pick<Entry, 'info' | 'machineKey' | 'discoKey'> {
    const addr = unmap(ip);
    if (!isIP(addr)) throw new Error(`FakeLocalApi: not an IP address: ${ip}`);
    this.counter += 1n;
    const id = NODE_ID_BASE + this.counter * 7_919n;
    return { info: {
      ip: addr, nodeId: id.toString(), stableId: `n${randomBytes(5).toString('hex')}CNTRL`, nodeName,
      fqdn: `${nodeName}.${TAILNET}.`, nodeKey: `nodekey:${randomBytes(32).toString('hex')}`,
      userId: userId.toString(), loginName, tags: [...tags],
    }, machineKey: `mkey:${randomBytes(32).toString('hex')}`, discoKey: `discokey:${randomBytes(32).toString('hex')}` };
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('Tailscale-Version', VERSION);
    res.setHeader('Tailscale-Cap', '130');
    const url = new URL(req.url ?? '/', 'http://local-tailscaled.sock');
    const addr = url.searchParams.get('addr');
    if (url.pathname === '/localapi/v0/whois' && addr !== null) this.lookups.push(addr);
    // ipn/localapi ServeHTTP: anti-CSRF and DNS-rebinding guards come before any handler.
    const host = req.headers.host ?? '';
    if (req.headers.referer !== undefined || req.headers.origin !== undefined || (host !== '' && host !== LOCALAPI_HOST)) {
      return goError(res, 403, 'invalid localapi request');
    }
    if (url.pathname !== '/localapi/v0/whois') return goError(res, 404, '404 page not found');
    if (!addr) return goError(res, 400, "missing 'addr' parameter");
    const key = addr.startsWith('nodekey:')
      ? [...this.nodes.values()].find((e) => e.info.nodeKey === addr)?.info.ip ?? addr
      : ipOfAddr(addr);
    if (key === undefined) return goError(res, 400, "invalid 'addr' parameter");
    const entry = this.nodes.get(key);
    const failure = this.failures.get(key);
    if (failure && failure.remaining > 0) {
      failure.remaining -= 1;
      return goError(res, failure.status, failure.status === 404 ? 'no match for IP:port'
        : failure.status === 403 ? 'whois access denied' : 'internal error');
    }
    if (!entry) return goError(res, 404, 'no match for IP:port');
    const text = whoisJson(entry);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}

/** Go's http.Error: text/plain, nosniff, message plus newline. */
function goError(res: http.ServerResponse, status: number, message: string): void {
  const body = `${message}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * apitype.WhoIsResponse as tailscaled writes it (json.MarshalIndent with tabs). The int64 IDs are spliced in as
 * raw JSON numbers, so the text really holds values above 2^53 that JSON.parse would round.
 */
function whoisJson(e: Entry): string {
  const { info } = e;
  const v6 = `fd7a:115c:a1e0::${(Number(BigInt(info.nodeId) % 0xffffn)).toString(16)}`;
  const addresses = isIP(info.ip) === 6 ? [`${info.ip}/128`] : [`${info.ip}/32`, `${v6}/128`];
  const hostinfo: Record<string, unknown> = { OS: 'linux', Hostname: info.nodeName };
  if (e.sharee) hostinfo.ShareeNode = true;
  const node: Record<string, unknown> = {
    ID: INT64(BigInt(info.nodeId)),
    StableID: info.stableId,
    Name: info.fqdn,
    User: INT64(BigInt(info.userId)),
    Key: info.nodeKey,
    KeyExpiry: '2027-05-01T00:00:00Z',
    Machine: e.machineKey,
    DiscoKey: e.discoKey,
    Addresses: addresses,
    AllowedIPs: addresses,
    ...(info.tags.length > 0 ? { Tags: info.tags } : {}),
    Hostinfo: hostinfo,
    Created: '2025-06-01T12:00:00Z',
    Cap: 130,
    HomeDERP: 1,
    Online: true,
    ComputedName: e.sharee ? info.fqdn : info.nodeName,
    ComputedNameWithHost: e.sharee ? info.fqdn : info.nodeName,
  };
  const userProfile: Record<string, unknown> = {
    ID: INT64(BigInt(info.userId)),
    LoginName: info.loginName,
    DisplayName: e.displayName,
    ProfilePicURL: info.tags.length > 0 ? '' : `https://avatars.example.com/${encodeURIComponent(info.loginName)}.png`,
    ...(e.groups ? { Groups: e.groups } : {}),
  };
  // CapMap has no omitempty: null when there are no caps.
  const capMap = e.caps && Object.keys(e.caps).length > 0 ? e.caps : null;
  return JSON.stringify({ Node: node, UserProfile: userProfile, CapMap: capMap }, null, '\t')
    .replace(/"@@int64:(\d+)@@"/g, '$1');
}
