import type { ControlPlane, ControlPlaneDeps } from './start';

/** Mounts the GraphQL admin API (and, later, the dashboard) on the gateway's listener. */
export async function adminControlPlane(deps: ControlPlaneDeps): Promise<ControlPlane> {
  void deps;
  return { routes: {}, stop: async () => {} };
}
