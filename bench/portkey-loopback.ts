import net from 'node:net';

/**
 * Preloaded into Portkey's gateway (`node --require dist/bench/portkey-loopback.js …`): its
 * start-server calls `serve({ fetch, port })` with no hostname, which listens on every interface.
 * The bench is loopback only, so a listen() without a host gets 127.0.0.1. Nothing else changes.
 */
const LOOPBACK = '127.0.0.1';
const original = net.Server.prototype.listen;

function listenOnLoopback(this: net.Server, ...args: unknown[]): net.Server {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') {
      if (args.length >= 2 && args[1] === undefined) args[1] = LOOPBACK;
      else args.splice(1, 0, LOOPBACK);
    }
  } else if (typeof first === 'object' && first !== null && !('path' in first) && !('host' in first) && !('fd' in first) && !('_handle' in first)) {
    args[0] = { ...first, host: LOOPBACK };
  }
  return (original as (...a: unknown[]) => net.Server).apply(this, args);
}

net.Server.prototype.listen = listenOnLoopback as typeof original;
