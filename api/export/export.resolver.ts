import { Ctx, Query, Resolver } from 'type-graphql';
import { readExportStatus, type SqlQuery } from '../../core/export/status';
import { requireAdmin } from '../auth';
import type { ApiContext } from '../context';
import { ExportKind, ExportStatus } from './export.type';

@Resolver(() => ExportStatus)
export class ExportResolver {
  @Query(() => ExportStatus, {
    description: 'Where the record export to S3 stands: per kind, the last exported id and time, the lag and the last error. Admins only.',
  })
  async exportStatus(@Ctx() ctx: ApiContext): Promise<ExportStatus> {
    requireAdmin(ctx);
    const query: SqlQuery = (sql, params) => ctx.prisma.$queryRawUnsafe(sql, ...params);
    const status = await readExportStatus(query, ctx.now());
    return { ...status, kinds: status.kinds.map((k) => ({ ...k, kind: k.kind === 'requests' ? ExportKind.REQUESTS : ExportKind.AUDIT })) };
  }
}
