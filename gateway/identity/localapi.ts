import http from 'node:http';
import { z } from 'zod';

/**
 * tailscaled's LocalAPI over its unix socket. `whois` names the tailnet node (and user) behind a
 * connection's remote address. Host must be `local-tailscaled.sock`, and no Origin/Referer may be
 * sent: tailscaled answers 403 otherwise (its CSRF guard).
 */
const whoisSchema = z.object({
  Node: z.object({
    StableID: z.string().optional(),
    Name: z.string().optional(),
    ComputedName: z.string().optional(),
    Tags: z.array(z.string()).nullish(),
    Hostinfo: z.object({ ShareeNode: z.boolean().optional(), Hostname: z.string().optional() }).partial().nullish(),
  }),
  UserProfile: z.object({ LoginName: z.string().optional(), DisplayName: z.string().optional() }).nullish(),
  CapMap: z.record(z.string(), z.array(z.unknown()).nullable()).nullish(),
});

export type WhoisResponse = z.infer<typeof whoisSchema>;

export class LocalApiError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export class LocalApiClient {
  private readonly agent: http.Agent;

  constructor(private readonly socketPath: string, private readonly timeoutMs = 2000) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** null when tailscaled knows no node at that address (HTTP 404). */
  whois(addr: string): Promise<WhoisResponse | null> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method: 'GET',
          path: `/localapi/v0/whois?addr=${encodeURIComponent(addr)}`,
          headers: { Host: 'local-tailscaled.sock' },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 404) return resolve(null);
            if (res.statusCode !== 200) return reject(new LocalApiError(`tailscaled whois answered ${res.statusCode}: ${text.slice(0, 200).trim()}`, res.statusCode));
            let json: unknown;
            try {
              // Node.ID / User are int64 and may exceed 2^53; JSON.parse rounds them, which is harmless
              // because identity is keyed on StableID and LoginName, never on the numeric ids.
              json = JSON.parse(text);
            } catch {
              return reject(new LocalApiError('tailscaled whois answered invalid JSON'));
            }
            const parsed = whoisSchema.safeParse(json);
            if (!parsed.success) return reject(new LocalApiError(`tailscaled whois answer has an unexpected shape: ${parsed.error.issues[0]?.message}`));
            resolve(parsed.data);
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new LocalApiError(`tailscaled whois timed out after ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof LocalApiError ? err : new LocalApiError(`tailscaled LocalAPI unreachable at ${this.socketPath}: ${err.message}`)));
      req.end();
    });
  }

  /** For /healthz: is tailscaled answering at all? */
  async ping(): Promise<boolean> {
    try {
      await this.whois('127.0.0.1:1');
      return true;
    } catch (err) {
      return err instanceof LocalApiError && err.status !== undefined && err.status < 500;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
