import type * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';

/**
 * Stack configuration: every knob of the deployment, read from `tailgate:*` Pulumi config, with
 * defaults and validation in one place. Plain values are validated here; secrets are read with
 * `getSecret` and never leave Pulumi's secret outputs.
 */

/** Where the image's RDS CA bundle lives (see Dockerfile); DATABASE_URL verifies the server against it. */
export const RDS_CA_BUNDLE_PATH = '/etc/ssl/certs/rds-global-bundle.pem';

// Mirrors core/config.ts (TAILGATE_ADMINS, TAILGATE_APP_CAP) so a bad value fails at `pulumi up`,
// not at task start.
const gatewayPrincipal = z.string().regex(/^(user:[^\s,]+|tag:[A-Za-z0-9-]+)$/, 'expected user:<login> or tag:<name>');
const appCapability = z.string()
  .regex(/^[a-z0-9.-]+\/[A-Za-z0-9/_.-]+$/, 'expected a capability name such as example.com/cap/tailgate')
  .refine((cap) => !cap.startsWith('tailscale.com/'), 'tailscale.com/ capability names belong to Tailscale');
const tailscaleTag = z.string().regex(/^tag:[A-Za-z][A-Za-z0-9-]*$/, 'expected tag:<name> (letters, digits, dashes)');
// Sources a tailnet policy accepts in grants and tagOwners: people by login, groups, autogroups, tags.
const policySource = z.string().regex(
  /^(\*|autogroup:[a-z-]+|group:[A-Za-z0-9._-]+|tag:[A-Za-z][A-Za-z0-9-]*|[^\s@:]+@[^\s@:]+)$/,
  'expected a login (alice@example.com), group:<name>, autogroup:<name>, tag:<name> or *',
);
const modelPattern = z.string().regex(/^[A-Za-z0-9*._:/-]+$/, 'expected a model name or glob such as claude-* or gpt-5*');
const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a DNS label: lowercase letters, digits, dashes');

// CloudWatch Logs accepts only these retention periods.
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

// Fargate's valid task sizes: cpu units → allowed memory (MiB).
const FARGATE_MEMORY: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

const userGrant = z.object({
  src: z.array(policySource).min(1),
  models: z.array(modelPattern).min(1),
}).strict();

export const stackConfigSchema = z.object({
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region such as us-east-1').default('us-east-1'),

  // Network: a new VPC, or an existing one's private subnets (which need a NAT or endpoints for egress).
  vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, 'expected vpc-…').optional(),
  subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'expected subnet-…')).optional(),
  vpcCidr: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, 'expected an IPv4 CIDR between /16 and /24').default('10.40.0.0/16'),
  availabilityZones: z.number().int().min(2).max(3).default(2),
  natGateways: z.enum(['single', 'perAz']).default('single'),
  tailscaleDirectUdp: z.boolean().default(false),

  // Database.
  dbInstanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an RDS class such as db.t4g.micro').default('db.t4g.micro'),
  dbEngineVersion: z.string().regex(/^\d+(\.\d+)?$/, 'expected a PostgreSQL version such as 17 or 17.4').default('17'),
  dbAllocatedStorageGb: z.number().int().min(20).max(65536).default(20),
  dbMaxAllocatedStorageGb: z.number().int().min(0).max(65536).default(100),
  dbMultiAz: z.boolean().default(false),
  dbBackupRetentionDays: z.number().int().min(0).max(35).default(7),
  dbDeletionProtection: z.boolean().default(true),
  dbSkipFinalSnapshot: z.boolean().default(false),

  // Gateway task.
  image: z.string().min(1).optional(),
  cpuArchitecture: z.enum(['X86_64', 'ARM64']).default('X86_64'),
  cpu: z.number().int().default(512),
  memory: z.number().int().default(1024),
  // One task is one tailnet node whose identity lives in one SSM parameter: a second task would
  // share (and fight over) that node key. 0 pauses the gateway.
  desiredCount: z.number().int().min(0).max(1).default(1),
  waitForSteadyState: z.boolean().default(true),
  containerInsights: z.boolean().default(false),
  logRetentionDays: z.number().int().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `expected one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
  }).default(30),
  admins: z.array(gatewayPrincipal).default([]),
  appCapability: appCapability.default('example.com/cap/tailgate'),

  // Tailscale node.
  tailscaleImage: z.string().min(1).default('tailscale/tailscale:stable'),
  hostname: dnsLabel.default('ai'),
  tags: z.array(tailscaleTag).min(1).default(['tag:ai-gateway']),
  authKeyExpiryDays: z.number().int().min(1).max(90).default(90),
  https: z.boolean().default(true),
  tailnetDnsName: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'expected the tailnet DNS name, e.g. tail1234.ts.net').optional(),

  // Tailnet policy (only applied with manageAcl: it replaces the whole policy file).
  manageAcl: z.boolean().default(false),
  tagOwners: z.array(policySource).min(1).default(['autogroup:admin']),
  groups: z.record(z.string().regex(/^group:[A-Za-z0-9._-]+$/, 'expected group:<name>'), z.array(policySource)).default({}),
  adminGroups: z.array(policySource).default(['autogroup:admin']),
  userGrants: z.array(userGrant).default([{ src: ['autogroup:member'], models: ['*'] }]),

  // Export bucket.
  exportPrefix: z.string().regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, 'expected an S3 key prefix without leading or trailing slashes').default('tailgate'),
  exportNoncurrentVersionDays: z.number().int().min(1).default(30),
  exportExpireDays: z.number().int().min(0).default(0),
}).strict().superRefine((cfg, ctx) => {
  if ((cfg.vpcId === undefined) !== (cfg.subnetIds === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['subnetIds'], message: 'vpcId and subnetIds go together: set both to use an existing VPC, or neither' });
  }
  if (cfg.subnetIds !== undefined && cfg.subnetIds.length < 2) {
    ctx.addIssue({ code: 'custom', path: ['subnetIds'], message: 'RDS needs private subnets in at least two availability zones' });
  }
  const memories = FARGATE_MEMORY[cfg.cpu];
  if (memories === undefined) {
    ctx.addIssue({ code: 'custom', path: ['cpu'], message: `expected a Fargate cpu size: ${Object.keys(FARGATE_MEMORY).join(', ')}` });
  } else if (!memories.includes(cfg.memory)) {
    ctx.addIssue({ code: 'custom', path: ['memory'], message: `cpu ${cfg.cpu} allows memory ${memories[0]}-${memories[memories.length - 1]} MiB in steps of ${memories[1] - memories[0]}` });
  }
  if (cfg.dbMaxAllocatedStorageGb !== 0 && cfg.dbMaxAllocatedStorageGb < cfg.dbAllocatedStorageGb) {
    ctx.addIssue({ code: 'custom', path: ['dbMaxAllocatedStorageGb'], message: 'must be 0 (no autoscaling) or at least dbAllocatedStorageGb' });
  }
  if (!cfg.https && cfg.tailnetDnsName === undefined) {
    // Without HTTPS certificates tailscaled never learns its cert domain, so the serve config must
    // name the node's MagicDNS name itself.
    ctx.addIssue({ code: 'custom', path: ['tailnetDnsName'], message: 'required when https is false (the serve config needs the node name <hostname>.<tailnetDnsName>)' });
  }
  if (cfg.manageAcl) {
    // The policy file is replaced whole, so every group it mentions must be defined in it.
    const referenced = [...cfg.tagOwners, ...cfg.adminGroups, ...cfg.userGrants.flatMap((g) => g.src), ...Object.values(cfg.groups).flat()];
    for (const group of new Set(referenced.filter((s) => s.startsWith('group:')))) {
      if (!(group in cfg.groups)) {
        ctx.addIssue({ code: 'custom', path: ['groups'], message: `${group} is used but not defined in tailgate:groups (manageAcl replaces the whole policy file)` });
      }
    }
    if (cfg.adminGroups.length === 0 && cfg.userGrants.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['userGrants'], message: 'with manageAcl, grant at least one source access (adminGroups or userGrants)' });
    }
  }
});

export type StackSettings = z.output<typeof stackConfigSchema>;
type SettingKey = keyof z.input<typeof stackConfigSchema>;

/** How each key is stored: Pulumi keeps every config value as a string, lists and maps as JSON. */
const KEY_KINDS = {
  region: 'string', vpcId: 'string', subnetIds: 'json', vpcCidr: 'string', availabilityZones: 'number',
  natGateways: 'string', tailscaleDirectUdp: 'boolean',
  dbInstanceClass: 'string', dbEngineVersion: 'string', dbAllocatedStorageGb: 'number', dbMaxAllocatedStorageGb: 'number',
  dbMultiAz: 'boolean', dbBackupRetentionDays: 'number', dbDeletionProtection: 'boolean', dbSkipFinalSnapshot: 'boolean',
  image: 'string', cpuArchitecture: 'string', cpu: 'number', memory: 'number', desiredCount: 'number',
  waitForSteadyState: 'boolean', containerInsights: 'boolean', logRetentionDays: 'number', admins: 'json', appCapability: 'string',
  tailscaleImage: 'string', hostname: 'string', tags: 'json', authKeyExpiryDays: 'number', https: 'boolean', tailnetDnsName: 'string',
  manageAcl: 'boolean', tagOwners: 'json', groups: 'json', adminGroups: 'json', userGrants: 'json',
  exportPrefix: 'string', exportNoncurrentVersionDays: 'number', exportExpireDays: 'number',
} as const satisfies Record<SettingKey, 'string' | 'number' | 'boolean' | 'json'>;

/** Every plain setting's name (without the `tailgate:` namespace). */
export const SETTING_KEYS = Object.keys(KEY_KINDS) as SettingKey[];

/** Secret keys (`pulumi config set --secret`), mapped to the gateway's environment variable. */
export const SECRET_KEYS = {
  masterKey: 'TAILGATE_MASTER_KEY',
  openaiApiKey: 'OPENAI_API_KEY',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  geminiApiKey: 'GEMINI_API_KEY',
  openrouterApiKey: 'OPENROUTER_API_KEY',
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;
export type ProviderKeyEnv = Exclude<(typeof SECRET_KEYS)[SecretKey], 'TAILGATE_MASTER_KEY'>;

/** The subset of `pulumi.Config` this module reads; tests pass a plain object. */
export interface ConfigSource {
  get(key: string): string | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
  /** Every key set in this namespace, so a misspelt one is reported instead of silently ignored. */
  keys(): string[];
}

export interface StackConfig {
  settings: StackSettings;
  /** Only the secrets that are set. */
  secrets: Partial<Record<SecretKey, pulumi.Output<string>>>;
}

export class StackConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'StackConfigError';
  }
}

/** Reads and validates `tailgate:*` config; throws StackConfigError listing every bad key. */
export function readStackConfig(config: ConfigSource, namespace = 'tailgate'): StackConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, kind] of Object.entries(KEY_KINDS)) {
    const value = config.get(key);
    if (value === undefined || value === '') continue;
    const decoded = decode(value, kind);
    if (decoded.ok) raw[key] = decoded.value;
    else problems.push(`${namespace}:${key}: ${decoded.error}`);
  }
  for (const key of config.keys()) {
    if (!(key in KEY_KINDS) && !(key in SECRET_KEYS)) problems.push(`${namespace}:${key}: unknown setting`);
  }
  const parsed = stackConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [head, ...rest] = issue.path.map(String);
      const where = head === undefined ? namespace : `${namespace}:${head}${rest.length ? `[${rest.join('.')}]` : ''}`;
      problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new StackConfigError(problems);

  const secrets: StackConfig['secrets'] = {};
  for (const key of Object.keys(SECRET_KEYS) as SecretKey[]) {
    const value = config.getSecret(key);
    if (value !== undefined) secrets[key] = value;
  }
  return { settings: parsed.data, secrets };
}

type Decoded = { ok: true; value: unknown } | { ok: false; error: string };

function decode(value: string, kind: 'string' | 'number' | 'boolean' | 'json'): Decoded {
  switch (kind) {
    case 'string':
      return { ok: true, value };
    case 'number': {
      const n = Number(value.trim());
      return Number.isFinite(n) && value.trim() !== '' ? { ok: true, value: n } : { ok: false, error: `expected a number, got ${JSON.stringify(value)}` };
    }
    case 'boolean':
      if (value === 'true') return { ok: true, value: true };
      if (value === 'false') return { ok: true, value: false };
      return { ok: false, error: `expected true or false, got ${JSON.stringify(value)}` };
    case 'json':
      try {
        return { ok: true, value: JSON.parse(value) as unknown };
      } catch {
        return { ok: false, error: 'expected a YAML list or map (or JSON with `pulumi config set --path` / `--json`)' };
      }
  }
}
