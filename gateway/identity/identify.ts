import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { isLoopbackHost } from '../../core/config';
import type { Principal, Role } from '../../core/principal';
import { GatewayError } from '../errors';
import { LocalApiError, type LocalApiClient, type WhoisResponse } from './localapi';

export interface Identifier {
  identify(req: IncomingMessage): Promise<Principal>;
}

export interface TailscaleIdentityOptions {
  localApi: LocalApiClient;
  admins: readonly string[];
  appCap?: string;
  /** How long a tailnet IP's identity is reused across connections (grants change within seconds). */
  ipCacheMs?: number;
  /** Delay before the one retry of a 404 (userspace tailscaled registers the mapping after dialing us). */
  retryDelayMs?: number;
  /**
   * Behind `tailscale serve` (HTTP proxy mode) every request arrives from tailscaled on loopback,
   * over pooled connections shared by many callers, with X-Forwarded-For set by tailscaled to the
   * caller's tailnet IP (any client copy replaced). Then identity is per request: whois that IP.
   * Only safe when nothing but serve can reach the listener (see infra/components/gateway-service.ts).
   */
  trustServeProxy?: boolean;
}

/**
 * Identity at the transport edge: one whois per connection (keep-alive carries many requests),
 * plus a short per-IP cache for tailnet addresses. Loopback addresses are only ever cached per
 * socket: in userspace mode every tailnet peer arrives from 127.0.0.1 and the port is reused.
 */
export function tailscaleIdentifier(options: TailscaleIdentityOptions): Identifier {
  const perSocket = new WeakMap<Socket, Promise<Principal>>();
  const perIp = new Map<string, { principal: Principal; expires: number }>();
  const ipCacheMs = options.ipCacheMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 15;

  async function lookup(ip: string, port: number): Promise<Principal> {
    const loopback = isLoopbackHost(ip);
    if (!loopback) {
      const cached = perIp.get(ip);
      if (cached && cached.expires > Date.now()) return cached.principal;
    }
    const addr = ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
    let who: WhoisResponse | null;
    try {
      who = await options.localApi.whois(addr);
      if (who === null) {
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
        who = await options.localApi.whois(addr);
      }
    } catch (err) {
      throw new GatewayError('identity_unavailable', 'the gateway cannot reach tailscaled to identify the caller; try again shortly', { cause: err, retryAfter: 1 });
    }
    if (who === null) {
      throw new GatewayError('identity_missing', 'caller is not a known Tailscale node: reach this gateway over the tailnet (no API key is needed)');
    }
    const principal = principalFromWhois(who, options.admins, options.appCap);
    if (!loopback) {
      if (perIp.size > 10_000) perIp.clear();
      perIp.set(ip, { principal, expires: Date.now() + ipCacheMs });
    }
    return principal;
  }

  return {
    identify(req) {
      const socket = req.socket;
      if (options.trustServeProxy && isLoopbackHost(unmapIpv4(socket.remoteAddress ?? ''))) {
        const forwarded = forwardedFor(req);
        if (forwarded) return lookup(forwarded, 0);
      }
      let pending = perSocket.get(socket);
      if (!pending) {
        const ip = unmapIpv4(socket.remoteAddress ?? '');
        pending = lookup(ip, socket.remotePort ?? 0);
        // A failed lookup is not cached: the next request on the socket asks again.
        pending.catch(() => perSocket.delete(socket));
        perSocket.set(socket, pending);
      }
      return pending;
    },
  };
}

export function devIdentifier(devUser: string): Identifier {
  const principal: Principal = { id: `user:${devUser}`, kind: 'DEV', login: devUser, tags: [], displayName: `${devUser} (dev mode)`, role: 'admin', allowedModels: null };
  return { identify: async () => principal };
}

/** The caller tailscaled's serve proxy names: one IP (tailscaled replaces the header, never appends). */
function forwardedFor(req: IncomingMessage): string | undefined {
  const value = req.headers['x-forwarded-for'];
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  return first && /^[0-9a-fA-F:.]+$/.test(first) ? unmapIpv4(first) : undefined;
}

export function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

interface CapValue {
  role?: unknown;
  models?: unknown;
}

export function principalFromWhois(who: WhoisResponse, admins: readonly string[], appCap?: string): Principal {
  const tags = [...(who.Node.Tags ?? [])].sort();
  const nodeName = (who.Node.Name ?? who.Node.ComputedName ?? '').replace(/\.$/, '') || undefined;
  let principal: Principal;
  if (tags.length > 0) {
    // For tagged nodes UserProfile.LoginName is the placeholder "tagged-devices": never a principal.
    principal = { id: tags.join(','), kind: 'TAGGED', tags, nodeName, role: 'user', allowedModels: null };
  } else {
    const login = who.UserProfile?.LoginName;
    if (!login) throw new LocalApiError('tailscaled whois named a user node without a LoginName');
    principal = { id: `user:${login}`, kind: 'USER', login, tags: [], displayName: who.UserProfile?.DisplayName || undefined, nodeName, role: 'user', allowedModels: null };
  }
  const caps = appCap ? (who.CapMap?.[appCap] ?? []) : [];
  // Every matching grant appends its value: the highest role wins, model lists are unioned, and a
  // grant that names no models allows all of them.
  let role: Role = 'user';
  let models: Set<string> | null = null;
  let anyCap = false;
  for (const raw of caps ?? []) {
    if (typeof raw !== 'object' || raw === null) continue;
    anyCap = true;
    const value = raw as CapValue;
    if (value.role === 'admin') role = 'admin';
    if (Array.isArray(value.models)) {
      models ??= new Set();
      for (const model of value.models) if (typeof model === 'string' && model.length > 0) models.add(model);
    } else {
      models = new Set(['*']);
    }
  }
  if (admins.includes(principal.id) || principal.tags.some((tag) => admins.includes(tag))) role = 'admin';
  principal.role = role;
  principal.allowedModels = anyCap && models && !models.has('*') ? [...models].sort() : null;
  return principal;
}
