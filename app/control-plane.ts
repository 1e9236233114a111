import { createAdminApi } from '../api';
import { createUiRoute } from '../ui/serve';
import type { ControlPlane, ControlPlaneDeps } from './start';

/** Mounts the GraphQL admin API and the dashboard on the gateway's listener, behind the same Tailscale identity. */
export async function adminControlPlane(deps: ControlPlaneDeps): Promise<ControlPlane> {
  const api = await createAdminApi({ prisma: deps.prisma, vault: deps.vault, log: deps.log, now: deps.now });
  return {
    routes: {
      '/graphql': (req, res, principal) => api.handle(req, res, principal, null),
      '/ui': createUiRoute({ log: deps.log }),
    },
    stop: () => api.stop(),
  };
}
