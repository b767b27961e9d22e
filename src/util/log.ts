/**
 * Structured JSON logs, one object per line on stderr. Callers pass fields,
 * never preformatted strings with values in them; secret values must never be
 * passed at all (the canary test greps every log line).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: Level;
  /** Where lines go; defaults to process.stderr. */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const min = order[options.level ?? (process.env.HUSH_LOG_LEVEL as Level | undefined) ?? 'info'] ?? order.info;
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (order[level] < min) return;
    const rec: Record<string, unknown> = { ts: new Date().toISOString(), level, msg, ...base, ...fields };
    write(JSON.stringify(rec, errorReplacer) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}

/** A logger that drops everything (tests, libraries used without a logger). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
