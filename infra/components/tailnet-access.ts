import * as pulumi from '@pulumi/pulumi';
import * as tailscale from '@pulumi/tailscale';
import { gatewayPolicy, type GatewayPolicyInput, type TailnetPolicy } from '../lib/tailnet-policy';

export interface TailnetAccessArgs {
  /** Tags the gateway node joins with; the key may only carry tags whose owner is the caller. */
  tags: string[];
  authKeyExpiryDays: number;
  /**
   * Apply the policy with tailscale.Acl. This replaces the tailnet's whole policy file, so it is
   * for tailnets whose policy Pulumi owns; otherwise merge `policy` into the existing file.
   */
  manageAcl: boolean;
  policy: Omit<GatewayPolicyInput, 'tags'>;
}

/**
 * The gateway's place in the tailnet: an auth key for the sidecar (reusable so a lost node state
 * can rejoin, preauthorized so no one has to approve it, tagged so the node is owned by the
 * policy rather than by whoever ran `pulumi up`), and the policy fragment that says who may reach
 * it and with which role and models.
 */
export class TailnetAccess extends pulumi.ComponentResource {
  /** The auth key (secret). Only used on the node's first login; the node then lives on its state. */
  readonly authKey: pulumi.Output<string>;
  readonly policy: TailnetPolicy;
  /** The policy fragment as JSON, for merging by hand. */
  readonly policyJson: string;
  readonly aclManaged: boolean;

  constructor(name: string, args: TailnetAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tailgate:infra:TailnetAccess', name, {}, opts);

    this.policy = gatewayPolicy({ ...args.policy, tags: args.tags });
    this.policyJson = JSON.stringify(this.policy, null, 2);
    this.aclManaged = args.manageAcl;

    let acl: tailscale.Acl | undefined;
    if (args.manageAcl) {
      acl = new tailscale.Acl(`${name}-policy`, {
        acl: this.policyJson,
        // Opting in means Pulumi owns the policy file; without this the provider refuses to
        // replace a policy it has not imported.
        overwriteExistingContent: true,
      }, { parent: this });
    }

    const key = new tailscale.TailnetKey(`${name}-auth-key`, {
      description: sanitizeDescription(`tailgate ${name}`),
      reusable: true,
      preauthorized: true,
      ephemeral: false,
      tags: args.tags,
      expiry: args.authKeyExpiryDays * 24 * 60 * 60,
      // An expired or revoked key is replaced on the next `pulumi up` instead of failing it.
      recreateIfInvalid: 'always',
    }, {
      parent: this,
      // The key's tags must have owners in the policy before Tailscale will mint it.
      dependsOn: acl ? [acl] : [],
      additionalSecretOutputs: ['key'],
    });

    this.authKey = pulumi.secret(key.key);
    this.registerOutputs({ authKey: this.authKey, policyJson: this.policyJson, aclManaged: this.aclManaged });
  }
}

/** Tailscale accepts letters, digits, spaces and dashes, at most 50 of them. */
function sanitizeDescription(text: string): string {
  return text.replace(/[^A-Za-z0-9 -]/g, '-').slice(0, 50);
}
