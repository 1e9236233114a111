import { subnetCidr } from '../../infra/lib/cidr';
import { serveConfig, servePorts } from '../../infra/lib/serve-config';
import { gatewayPolicy } from '../../infra/lib/tailnet-policy';

describe('gatewayPolicy', () => {
  const base = {
    tags: ['tag:ai-gateway'],
    tagOwners: ['autogroup:admin'],
    groups: { 'group:eng': ['alice@example.com'], 'group:admins': ['root@example.com'] },
    adminGroups: ['group:admins'],
    userGrants: [{ src: ['group:eng', 'tag:pr-review-bot'], models: ['claude-*', 'gpt-5*'] }],
    appCapability: 'example.com/cap/tailgate',
    ports: [443, 80],
  };

  test('declares tag owners, reachability for every role holder, and role/model caps', () => {
    expect(gatewayPolicy(base)).toEqual({
      groups: base.groups,
      tagOwners: { 'tag:ai-gateway': ['autogroup:admin'] },
      grants: [
        { src: ['group:admins', 'group:eng', 'tag:pr-review-bot'], dst: ['tag:ai-gateway'], ip: ['tcp:443', 'tcp:80'] },
        { src: ['group:admins'], dst: ['tag:ai-gateway'], app: { 'example.com/cap/tailgate': [{ role: 'admin', models: ['*'] }] } },
        { src: ['group:eng', 'tag:pr-review-bot'], dst: ['tag:ai-gateway'], app: { 'example.com/cap/tailgate': [{ role: 'user', models: ['claude-*', 'gpt-5*'] }] } },
      ],
    });
  });

  test('grants nothing when no source holds a role, and omits an empty groups section', () => {
    const policy = gatewayPolicy({ ...base, groups: {}, adminGroups: [], userGrants: [] });
    expect(policy).toEqual({ tagOwners: { 'tag:ai-gateway': ['autogroup:admin'] }, grants: [] });
  });

  test('every tag of the node gets owners and is a grant destination', () => {
    const policy = gatewayPolicy({ ...base, tags: ['tag:ai-gateway', 'tag:prod'] });
    expect(Object.keys(policy.tagOwners)).toEqual(['tag:ai-gateway', 'tag:prod']);
    expect(policy.grants.every((g) => g.dst.join() === 'tag:ai-gateway,tag:prod')).toBe(true);
  });
});

describe('serveConfig', () => {
  test('https: tailnet :443 (TLS) and :80 both proxy to the loopback gateway with the app cap', () => {
    const config = serveConfig({ backend: '127.0.0.2:8080', https: true, appCapability: 'example.com/cap/tailgate' });
    const handler = { Handlers: { '/': { Proxy: 'http://127.0.0.2:8080', AcceptAppCaps: ['example.com/cap/tailgate'] } } };
    expect(config).toEqual({
      TCP: { '443': { HTTPS: true }, '80': { HTTP: true } },
      Web: { '${TS_CERT_DOMAIN}:443': handler, '${TS_CERT_DOMAIN}:80': handler },
    });
    expect(servePorts(true)).toEqual([443, 80]);
  });

  test('without https only :80 is served, under the configured node name', () => {
    const config = serveConfig({ backend: '127.0.0.2:8080', https: false, nodeName: 'ai.tail1234.ts.net', appCapability: 'example.com/cap/tailgate' });
    expect(config.TCP).toEqual({ '80': { HTTP: true } });
    expect(Object.keys(config.Web)).toEqual(['ai.tail1234.ts.net:80']);
    expect(servePorts(false)).toEqual([80]);
    expect(() => serveConfig({ backend: '127.0.0.2:8080', https: false, appCapability: 'x.com/cap' })).toThrow(/nodeName/);
  });
});

describe('subnetCidr', () => {
  test.each([
    ['10.40.0.0/16', 4, 0, '10.40.0.0/20'],
    ['10.40.0.0/16', 4, 1, '10.40.16.0/20'],
    ['10.40.0.0/16', 4, 9, '10.40.144.0/20'],
    ['172.16.5.0/24', 4, 10, '172.16.5.160/28'],
    ['10.40.7.9/16', 4, 2, '10.40.32.0/20'],
  ])('%s +%i bits #%i = %s', (cidr, bits, index, expected) => {
    expect(subnetCidr(cidr, bits, index)).toBe(expected);
  });

  test('rejects subnets AWS cannot have and indexes that do not fit', () => {
    expect(() => subnetCidr('10.0.0.0/26', 4, 0)).toThrow(/too small/);
    expect(() => subnetCidr('10.0.0.0/16', 4, 16)).toThrow(/no subnet #16/);
    expect(() => subnetCidr('10.0.0/16', 4, 0)).toThrow(/not an IPv4 CIDR/);
  });
});
