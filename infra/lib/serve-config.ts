/**
 * The tailscale sidecar's TS_SERVE_CONFIG (an `ipn.ServeConfig` JSON document, applied by the
 * image's containerboot). Tailnet :443 terminates TLS with the node's *.ts.net certificate and :80
 * stays plain HTTP (Claude Code and Codex accept `http://ai`; Gemini CLI insists on https for any
 * host but localhost). Both proxy to the gateway on loopback.
 *
 * Why HTTP handlers rather than raw TCP forwarding: tailscaled registers the loopback→tailnet
 * mapping that makes `whois 127.0.0.1:<port>` work only for netstack's own port forwarding, not
 * for serve (ipn/ipnlocal/serve.go leaves RegisterIPPortIdentity as a TODO for TCPForward, and the
 * HTTP proxy dials the backend itself). The HTTP proxy instead sets X-Forwarded-For to the
 * caller's tailnet IP on every request (replacing any client copy), which the gateway can whois,
 * and forwards the caller's app capability in Tailscale-App-Capabilities. It also pools backend
 * connections across callers, so identity behind it is per request, not per connection.
 */

export interface ServeConfigInput {
  /** Gateway address on loopback, host:port. */
  backend: string;
  /** Terminate TLS on :443 with the node's certificate (needs HTTPS enabled on the tailnet). */
  https: boolean;
  /**
   * The node's MagicDNS name, needed only without https. With https the config says
   * ${TS_CERT_DOMAIN}, which containerboot replaces with the name the node actually got (ai-1 if
   * ai was taken).
   */
  nodeName?: string;
  appCapability: string;
}

interface HttpHandler {
  Proxy: string;
  AcceptAppCaps: string[];
}

export interface ServeConfig {
  TCP: Record<string, { HTTPS?: boolean; HTTP?: boolean }>;
  Web: Record<string, { Handlers: Record<string, HttpHandler> }>;
}

export const TS_CERT_DOMAIN = '${TS_CERT_DOMAIN}';

export function serveConfig(input: ServeConfigInput): ServeConfig {
  if (!input.https && input.nodeName === undefined) {
    // Without certificates containerboot substitutes a placeholder, and no request would match.
    throw new Error('serveConfig: nodeName is required when https is off');
  }
  const node = input.https ? TS_CERT_DOMAIN : input.nodeName;
  const handler = (): { Handlers: Record<string, HttpHandler> } => ({
    Handlers: { '/': { Proxy: `http://${input.backend}`, AcceptAppCaps: [input.appCapability] } },
  });
  const config: ServeConfig = { TCP: { '80': { HTTP: true } }, Web: { [`${node}:80`]: handler() } };
  if (input.https) {
    config.TCP['443'] = { HTTPS: true };
    config.Web[`${node}:443`] = handler();
  }
  return config;
}

export function servePorts(https: boolean): number[] {
  return https ? [443, 80] : [80];
}
