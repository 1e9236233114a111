import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Keys are never handed to the logger in the first place; the redaction list
 * is a second line of defence against a careless `log.info({ headers })`.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'tailgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'key', '*.key', 'apiKey', '*.apiKey', 'masterKey', '*.masterKey', 'password', '*.password',
          'headers.authorization', 'headers["x-api-key"]', 'headers["x-goog-api-key"]', 'headers.cookie',
          '*.headers.authorization', '*.headers["x-api-key"]', '*.headers["x-goog-api-key"]',
          'databaseUrl', '*.databaseUrl',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
