import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { subnetCidr } from '../lib/cidr';

export interface NetworkArgs {
  region: string;
  /** Deploy into these private subnets of an existing VPC instead of creating one. */
  existing?: { vpcId: string; privateSubnetIds: string[] };
  /** For a new VPC. */
  cidrBlock: string;
  availabilityZones: number;
  natGateways: 'single' | 'perAz';
  /**
   * Let tailscaled send UDP (WireGuard 41641, STUN 3478) for direct peer connections. Off, the
   * node still works over DERP relays on TCP 443.
   */
  tailscaleDirectUdp: boolean;
  databasePort: number;
}

/**
 * Where the gateway and its database live: private subnets whose only way out is a NAT, and two
 * security groups. Nothing is reachable from the internet: the gateway has no ingress at all
 * (tailnet traffic arrives over tailscaled's own outbound connections) and the database accepts
 * only the gateway's security group.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly gatewaySecurityGroupId: pulumi.Output<string>;
  readonly databaseSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tailgate:infra:Network', name, {}, opts);
    const parent = { parent: this };

    if (args.existing) {
      this.vpcId = pulumi.output(args.existing.vpcId);
      this.privateSubnetIds = pulumi.output(args.existing.privateSubnetIds);
    } else {
      const created = this.createVpc(name, args);
      this.vpcId = created.vpcId;
      this.privateSubnetIds = created.privateSubnetIds;
    }

    const gatewaySg = new aws.ec2.SecurityGroup(`${name}-gateway`, {
      vpcId: this.vpcId,
      description: 'Tailgate gateway task: no ingress; HTTPS out, Postgres to the database',
      // No inline rules: the rules below are separate resources so the two groups can reference
      // each other, and inline lists would fight them. The provider revokes AWS's default
      // allow-all egress when it creates a group.
      revokeRulesOnDelete: true,
    }, parent);
    const databaseSg = new aws.ec2.SecurityGroup(`${name}-database`, {
      vpcId: this.vpcId,
      description: 'Tailgate database: Postgres from the gateway security group only',
      revokeRulesOnDelete: true,
    }, parent);

    new aws.vpc.SecurityGroupEgressRule(`${name}-gateway-https-out`, {
      securityGroupId: gatewaySg.id,
      description: 'HTTPS: providers, Tailscale control and DERP, ECR, Secrets Manager, SSM, S3, CloudWatch',
      ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0',
    }, parent);
    new aws.vpc.SecurityGroupEgressRule(`${name}-gateway-db-out`, {
      securityGroupId: gatewaySg.id,
      description: 'Postgres to the Tailgate database',
      ipProtocol: 'tcp', fromPort: args.databasePort, toPort: args.databasePort, referencedSecurityGroupId: databaseSg.id,
    }, parent);
    if (args.tailscaleDirectUdp) {
      for (const [label, port] of [['wireguard', 41641], ['stun', 3478]] as const) {
        new aws.vpc.SecurityGroupEgressRule(`${name}-gateway-${label}-out`, {
          securityGroupId: gatewaySg.id,
          description: `Tailscale ${label} (direct peer connections)`,
          ipProtocol: 'udp', fromPort: port, toPort: port, cidrIpv4: '0.0.0.0/0',
        }, parent);
      }
    }
    new aws.vpc.SecurityGroupIngressRule(`${name}-database-from-gateway`, {
      securityGroupId: databaseSg.id,
      description: 'Postgres from the Tailgate gateway',
      ipProtocol: 'tcp', fromPort: args.databasePort, toPort: args.databasePort, referencedSecurityGroupId: gatewaySg.id,
    }, parent);

    this.gatewaySecurityGroupId = gatewaySg.id;
    this.databaseSecurityGroupId = databaseSg.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      gatewaySecurityGroupId: this.gatewaySecurityGroupId,
      databaseSecurityGroupId: this.databaseSecurityGroupId,
    });
  }

  private createVpc(name: string, args: NetworkArgs): { vpcId: pulumi.Output<string>; privateSubnetIds: pulumi.Output<string[]> } {
    const parent = { parent: this };
    const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, parent).names;

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: args.cidrBlock,
      // RDS endpoints and VPC endpoints resolve through the VPC's DNS.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: `${name}-vpc` },
    }, parent);
    // The default security group allows all traffic between its members; strip it so nothing can
    // be attached to it by accident.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, ingress: [], egress: [] }, parent);

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: `${name}-igw` } }, parent);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
      tags: { Name: `${name}-public` },
    }, parent);

    const natCount = args.natGateways === 'perAz' ? args.availabilityZones : 1;
    const privateSubnets: aws.ec2.Subnet[] = [];
    const privateRouteTables: aws.ec2.RouteTable[] = [];
    const natGateways: aws.ec2.NatGateway[] = [];
    for (let i = 0; i < args.availabilityZones; i++) {
      const az = zones.apply((names) => {
        if (names.length <= i) throw new Error(`${args.region} has ${names.length} available zones; tailgate:availabilityZones asks for ${args.availabilityZones}`);
        return names[i];
      });
      // Public subnets hold only the NAT gateways; nothing in them gets a public IP by default.
      const publicSubnet = new aws.ec2.Subnet(`${name}-public-${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(args.cidrBlock, 4, 8 + i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-public-${i}` },
      }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: publicSubnet.id, routeTableId: publicRoutes.id }, parent);
      if (i < natCount) {
        const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: 'vpc', tags: { Name: `${name}-nat-${i}` } }, parent);
        natGateways.push(new aws.ec2.NatGateway(`${name}-nat-${i}`, {
          allocationId: eip.id,
          subnetId: publicSubnet.id,
          tags: { Name: `${name}-nat-${i}` },
        }, { parent: this, dependsOn: [igw] }));
      }

      const privateSubnet = new aws.ec2.Subnet(`${name}-private-${i}`, {
        vpcId: vpc.id,
        availabilityZone: az,
        cidrBlock: subnetCidr(args.cidrBlock, 4, i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${name}-private-${i}` },
      }, parent);
      const routes = new aws.ec2.RouteTable(`${name}-private-${i}`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: natGateways[Math.min(i, natGateways.length - 1)].id }],
        tags: { Name: `${name}-private-${i}` },
      }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: privateSubnet.id, routeTableId: routes.id }, parent);
      privateSubnets.push(privateSubnet);
      privateRouteTables.push(routes);
    }

    // Free, and keeps record exports off the NAT.
    new aws.ec2.VpcEndpoint(`${name}-s3`, {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${args.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRouteTables.map((rt) => rt.id),
      tags: { Name: `${name}-s3` },
    }, parent);

    return { vpcId: vpc.id, privateSubnetIds: pulumi.all(privateSubnets.map((s) => s.id)) };
  }
}
