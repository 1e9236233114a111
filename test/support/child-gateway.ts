import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/paths';

/**
 * The gateway as its own OS process (`node app/main.ts` through swc), started exactly as
 * production starts it, for tests that need a second process or a kill -9.
 */
export interface ChildGateway {
  url: string;
  process: ChildProcess;
  output: string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startChildGateway(env: Record<string, string>, timeoutMs = 20_000): Promise<ChildGateway> {
  const child = spawn(process.execPath, ['-r', path.join(PROJECT_ROOT, 'scripts/ts-register.js'), path.join(PROJECT_ROOT, 'app/main.ts')], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, TAILGATE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child gateway did not start in ${timeoutMs} ms:\n${output.join('')}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      const match = /"url":"(http:\/\/[^"]+)".*tailgate gateway listening/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`child gateway exited with ${code} before listening:\n${output.join('')}`));
    });
  });
  return {
    url,
    process: child,
    output,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
