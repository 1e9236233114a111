// Provider simulator for tests: see simulator/server.ts. Import from here.
export { ProviderSimulator } from './simulator/server';
export { SIM_PROVIDERS } from './simulator/types';
export type {
  FaultScope, SimApi, SimFault, SimProvider, SimRequest, SimResponse, SimUsage, SimulatorOptions,
} from './simulator/types';
