/** The one place that reads `process.env`. Everything else receives values from Config. */
export type Env = Readonly<Record<string, string | undefined>>;

export function processEnv(): Env {
  return process.env;
}

/** The log level before Config is loaded: quiet under test, informative otherwise. */
export function bootLogLevel(): 'silent' | 'info' {
  const env = processEnv();
  if (env.ROSTRA_LOG_LEVEL === 'silent' || env.NODE_ENV === 'test') return 'silent';
  return 'info';
}
