/**
 * The tailnet policy fragment Tailgate needs: who owns the gateway's tags, who may reach it, and
 * the app capability that carries each caller's role and model allow-list (PROTOCOLS.md, "App
 * capabilities from grants"). Pure data, so the same fragment can be applied by Pulumi
 * (manageAcl) or pasted into an existing policy by hand.
 */

export type GatewayRole = 'admin' | 'user';

/** The value the gateway reads from whois CapMap[appCapability][]. */
export interface AppCapabilityValue {
  role: GatewayRole;
  models: string[];
}

export interface PolicyGrant {
  src: string[];
  dst: string[];
  ip?: string[];
  app?: Record<string, AppCapabilityValue[]>;
}

export interface TailnetPolicy {
  groups?: Record<string, string[]>;
  tagOwners: Record<string, string[]>;
  grants: PolicyGrant[];
}

export interface GatewayPolicyInput {
  /** Tags the gateway node carries (tailnet key tags). */
  tags: string[];
  tagOwners: string[];
  groups: Record<string, string[]>;
  /** Sources granted the admin role with every model. */
  adminGroups: string[];
  /** Sources granted the user role with a model allow-list. */
  userGrants: { src: string[]; models: string[] }[];
  appCapability: string;
  /** Tailnet ports the serve config listens on. */
  ports: number[];
}

export function gatewayPolicy(input: GatewayPolicyInput): TailnetPolicy {
  const dst = [...input.tags];
  const roleGrants: PolicyGrant[] = [];
  if (input.adminGroups.length > 0) {
    roleGrants.push({ src: [...input.adminGroups], dst, app: { [input.appCapability]: [{ role: 'admin', models: ['*'] }] } });
  }
  for (const grant of input.userGrants) {
    roleGrants.push({ src: [...grant.src], dst, app: { [input.appCapability]: [{ role: 'user', models: [...grant.models] }] } });
  }
  // An app grant only adds capabilities; reaching the node needs its own ip grant. Everyone who
  // holds a role may connect, and nobody else.
  const reach = unique(roleGrants.flatMap((g) => g.src));
  const grants: PolicyGrant[] = [];
  if (reach.length > 0) grants.push({ src: reach, dst, ip: input.ports.map((p) => `tcp:${p}`) });
  grants.push(...roleGrants);

  const policy: TailnetPolicy = {
    tagOwners: Object.fromEntries(input.tags.map((tag) => [tag, [...input.tagOwners]])),
    grants,
  };
  if (Object.keys(input.groups).length > 0) policy.groups = structuredClone(input.groups);
  return policy;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
