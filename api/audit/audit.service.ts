import type { Prisma } from '../../core/db/client';
import type { Tx } from '../../core/provider-keys';
import type { ApiContext } from '../context';
import { badInput } from '../errors';
import type { AuditEvent } from './audit.type';

export type AuditAction =
  | 'upsertProvider'
  | 'setProviderKey'
  | 'revokeProviderKey'
  | 'upsertModelRoute'
  | 'deleteModelRoute'
  | 'setQuota'
  | 'deleteQuota';

/**
 * Writes the audit event of a mutation inside the mutation's own transaction: the change and its
 * record commit together or not at all. `detail` is JSON built by the caller from chosen fields,
 * never from a raw input object (setProviderKey's input holds the key).
 */
export async function recordAudit(tx: Tx, ctx: ApiContext, action: AuditAction, target: string | null, detail: Record<string, unknown>): Promise<void> {
  await tx.auditEvent.create({ data: { at: ctx.now(), actor: ctx.principal.id, action, target, detail: JSON.stringify(detail) } });
}

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

/** Newest first; `after` is the id (seq) of the last event of the previous page. */
export async function listAuditEvents(prisma: Prisma, first: number | null | undefined, after: string | null | undefined): Promise<AuditEvent[]> {
  const take = first ?? AUDIT_PAGE_DEFAULT;
  if (!Number.isInteger(take) || take < 0 || take > AUDIT_PAGE_MAX) throw badInput(`first must be between 0 and ${AUDIT_PAGE_MAX}`, 'first');
  let before: bigint | undefined;
  if (after !== null && after !== undefined) {
    if (!/^\d{1,18}$/.test(after)) throw badInput('after must be the id of an audit event', 'after');
    before = BigInt(after);
  }
  const rows = await prisma.auditEvent.findMany({
    where: before === undefined ? {} : { seq: { lt: before } },
    orderBy: { seq: 'desc' },
    take,
  });
  return rows.map((row) => ({ id: row.seq.toString(), at: row.at, actor: row.actor, action: row.action, target: row.target, detail: row.detail }));
}
