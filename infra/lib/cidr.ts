/** The `index`-th subnet of `cidr` that is `extraBits` longer (subnetCidr('10.0.0.0/16', 4, 1) = '10.0.16.0/20'). */
export function subnetCidr(cidr: string, extraBits: number, index: number): string {
  const [address, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const newPrefix = prefix + extraBits;
  if (newPrefix > 28) throw new Error(`${cidr} is too small to split into /${newPrefix} subnets (AWS needs /28 or larger)`);
  if (index < 0 || index >= 2 ** extraBits) throw new Error(`${cidr} has no subnet #${index} of size /${newPrefix}`);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = base - (base % size);
  const start = network + index * 2 ** (32 - newPrefix);
  const out = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256);
  return `${out.join('.')}/${newPrefix}`;
}
