import type { IncomingMessage } from 'node:http';
import { GatewayError } from './errors';

/**
 * Reads a request body once, bounded: a declared length over the limit is refused before a byte
 * is read, and an undeclared (chunked) body is cut off the moment it passes the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        failed = true;
        req.off('data', onData);
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.once('error', (err) => {
      if (!failed) reject(new GatewayError('invalid_json', `request body could not be read: ${err.message}`));
    });
    req.once('aborted', () => {
      if (!failed) reject(new GatewayError('invalid_json', 'request body was cut off by the client'));
    });
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('body_too_large', `request body is larger than this gateway accepts (${limit} bytes, TAILGATE_MAX_BODY)`, { headers: { connection: 'close' } });
}
