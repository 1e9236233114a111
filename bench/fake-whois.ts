import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

/**
 * A bench fixture: tailscaled's LocalAPI `whois` on a unix socket, reduced to what the gateway
 * reads (test/support/fake-localapi.ts is the faithful one, for tests). Every caller address the
 * bench uses (127.0.0.1) is one tailnet user. Answers are prebuilt; Tailgate asks once per
 * connection.
 *
 * The bench runs it as a child process (`node dist/bench/fake-whois.js` with BENCH_SOCKET set), as
 * tailscaled is one: hosted inside the load generator, its answers waited on the generator's busy
 * event loop whenever 1,000 streams opened at once, and a whois could miss the gateway's 2 s timeout.
 */
export interface FakeWhois {
  socketPath: string;
  lookups(): number;
  close(): Promise<void>;
}

export const BENCH_LOGIN = 'bench@example.com';

function whoisAnswer(ip: string, login: string): Buffer {
  return Buffer.from(JSON.stringify({
    Node: {
      ID: 7919,
      StableID: 'nBENCH0000CNTRL',
      Name: 'bench-laptop.tail1234.ts.net.',
      Addresses: [`${ip}/32`],
      Hostinfo: { OS: 'linux', Hostname: 'bench-laptop' },
      ComputedName: 'bench-laptop',
    },
    UserProfile: { ID: 104729, LoginName: login, DisplayName: 'Bench' },
    CapMap: null,
  }));
}

export async function startFakeWhois(users: Record<string, string> = { '127.0.0.1': BENCH_LOGIN }, socketAt?: string): Promise<FakeWhois> {
  const dir = socketAt ? path.dirname(socketAt) : await fs.mkdtemp(path.join(os.tmpdir(), 'tailgate-bench-localapi-'));
  const socketPath = socketAt ?? path.join(dir, 'tailscaled.sock');
  const answers = new Map(Object.entries(users).map(([ip, login]) => [ip, whoisAnswer(ip, login)]));
  let lookups = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local-tailscaled.sock');
    const addr = url.searchParams.get('addr') ?? '';
    lookups++;
    const ip = addr.startsWith('[') ? addr.slice(1, addr.indexOf(']')) : addr.slice(0, addr.lastIndexOf(':'));
    const answer = url.pathname === '/localapi/v0/whois' ? answers.get(ip.replace(/^::ffff:/, '')) : undefined;
    if (!answer) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('no match for IP:port\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    lookups: () => lookups,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

if (require.main === module) {
  const socketAt = process.env.BENCH_SOCKET;
  if (!socketAt) throw new Error('BENCH_SOCKET is required');
  void startFakeWhois(undefined, socketAt).then((whois) => {
    process.stdout.write(`${JSON.stringify({ ready: true, port: 0 })}\n`);
    process.on('SIGTERM', () => void whois.close().then(() => process.exit(0)));
  });
}
