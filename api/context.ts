import DataLoader from 'dataloader';
import type { Prisma } from '../core/db/client';
import type { Logger } from '../core/logger';
import type { Principal } from '../core/principal';
import type { KeyVault } from '../core/vault';
import { loadKeysByProvider, loadProvidersById, type ProviderRow } from './provider/provider.service';
import type { ProviderKeyInfo } from '../core/provider-keys';
import { loadToolCountsBySession } from './tool/tool.service';
import type { ToolCount } from './tool/tool.type';

/** Batching loaders for nested fields, created per request so nothing is cached across callers. */
export interface Loaders {
  keysByProvider: DataLoader<string, ProviderKeyInfo[]>;
  providerById: DataLoader<string, ProviderRow | null>;
  toolCountsBySession: DataLoader<string, ToolCount[]>;
}

export interface ApiContext {
  /** The caller, as the gateway identified it (Tailscale whois or the dev identity). */
  principal: Principal;
  prisma: Prisma;
  vault: KeyVault;
  /** Child logger carrying this request's id. */
  log: Logger;
  requestId: string;
  now: () => Date;
  loaders: Loaders;
}

export function createContext(args: Omit<ApiContext, 'loaders'>): ApiContext {
  const { prisma } = args;
  return {
    ...args,
    loaders: {
      keysByProvider: new DataLoader((ids) => loadKeysByProvider(prisma, ids)),
      providerById: new DataLoader((ids) => loadProvidersById(prisma, ids)),
      toolCountsBySession: new DataLoader((ids) => loadToolCountsBySession(prisma, ids)),
    },
  };
}
