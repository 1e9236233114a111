import 'reflect-metadata';
import { ConfigError, loadConfig } from '../core/config';
import { createLogger } from '../core/logger';
import { startTailgate, StartupError } from './start';
import { adminControlPlane } from './control-plane';
import { quotaAdmission } from './admission';

/** `npm start` / `tailgate start`: read the environment, start everything, stop cleanly on a signal. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`tailgate: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  let running;
  try {
    running = await startTailgate({ config, log, controlPlane: adminControlPlane, admission: quotaAdmission });
  } catch (err) {
    if (err instanceof StartupError) {
      console.error(`tailgate: ${err.message}`);
      process.exit(1);
    }
    log.fatal({ err: err instanceof Error ? err.stack : String(err) }, 'tailgate failed to start');
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests, flushing the ledger');
    // Exit within 10 s whatever happens; the ledger spools what it cannot commit.
    setTimeout(() => process.exit(1), 9500).unref();
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

void main();
