/**
 * Who is calling, as the data plane established it from tailscaled's whois (or the dev identity).
 * Everything downstream (policy, quotas, records, the admin API) sees only this type.
 */
export type PrincipalKind = 'USER' | 'TAGGED' | 'DEV';
export type Role = 'admin' | 'user';

export interface Principal {
  /** `user:<login>` for a user's device, `tag:a,tag:b` (sorted) for a tagged device. */
  id: string;
  kind: PrincipalKind;
  login?: string;
  tags: string[];
  displayName?: string;
  /** MagicDNS name of the calling node (kept apart from the principal: one user, many devices). */
  nodeName?: string;
  role: Role;
  /** Model globs from the tailnet policy's app capability; null when the policy sets none. */
  allowedModels: string[] | null;
}

export const isAdmin = (principal: Principal): boolean => principal.role === 'admin';

/** Does `principal` fall under a quota/admin subject: `user:x`, `tag:x`, `user:*`, or `*`? */
export function subjectMatches(subject: string, principal: Principal): boolean {
  if (subject === '*') return true;
  if (subject === 'user:*') return principal.kind !== 'TAGGED';
  if (subject.startsWith('tag:')) return principal.tags.includes(subject);
  return subject === principal.id;
}

/** Glob with `*` only (model names contain dots and slashes, which stay literal). */
export function globMatches(glob: string, value: string): boolean {
  if (glob === '*') return true;
  if (!glob.includes('*')) return glob === value;
  const parts = glob.split('*');
  if (!value.startsWith(parts[0])) return false;
  let at = parts[0].length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i], at);
    if (found < 0) return false;
    at = found + parts[i].length;
  }
  const last = parts[parts.length - 1];
  return value.length - last.length >= at && value.endsWith(last);
}
