import type { Prisma } from '../../core/db/client';
import type { ModelRoute as ModelRouteRow } from '../../core/generated/prisma/client';
import { recordAudit } from '../audit/audit.service';
import type { ApiContext } from '../context';
import { parseInput } from '../errors';
import { providerByName, requireUuid } from '../provider/provider.service';
import { modelRouteInputSchema, type ModelRouteInput } from './route.input';

export type { ModelRouteRow };

export function listModelRoutes(prisma: Prisma): Promise<ModelRouteRow[]> {
  return prisma.modelRoute.findMany({ orderBy: { model: 'asc' } });
}

export async function upsertModelRoute(ctx: ApiContext, raw: ModelRouteInput): Promise<ModelRouteRow> {
  const input = parseInput(modelRouteInputSchema, raw, 'input');
  return ctx.prisma.$transaction(async (tx) => {
    const provider = await providerByName(tx, input.provider, 'input.provider');
    const before = await tx.modelRoute.findUnique({ where: { model: input.model }, include: { provider: { select: { name: true } } } });
    const upstreamModel = input.upstreamModel ?? null;
    const route = await tx.modelRoute.upsert({
      where: { model: input.model },
      create: { model: input.model, providerId: provider.id, upstreamModel },
      update: { providerId: provider.id, upstreamModel },
    });
    await recordAudit(tx, ctx, 'upsertModelRoute', `model-route:${route.model}`, {
      id: route.id,
      provider: provider.name,
      upstreamModel,
      ...(before ? { before: { provider: before.provider.name, upstreamModel: before.upstreamModel } } : { created: true }),
    });
    return route;
  });
}

/** True when a route was deleted, false when there was none with this id. */
export async function deleteModelRoute(ctx: ApiContext, rawId: string): Promise<boolean> {
  const id = requireUuid(rawId, 'id', 'a model route');
  return ctx.prisma.$transaction(async (tx) => {
    const route = await tx.modelRoute.findUnique({ where: { id }, include: { provider: { select: { name: true } } } });
    if (route) await tx.modelRoute.delete({ where: { id } });
    await recordAudit(tx, ctx, 'deleteModelRoute', route ? `model-route:${route.model}` : `model-route-id:${id}`, route
      ? { id, deleted: true, provider: route.provider.name, upstreamModel: route.upstreamModel }
      : { id, deleted: false });
    return route !== null;
  });
}
