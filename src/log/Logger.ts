import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { bootLogLevel } from '../config/env.js';

export type Logger = PinoLogger;

const root: PinoLogger = pino({ level: bootLogLevel(), base: undefined });
// pino children keep the level they were born with, and modules make theirs at load time, before Config
// is read: keep them so setLogLevel() reaches every one.
const children: PinoLogger[] = [];

/** Sets the level of every logger, existing and future. Called once by the CLI from Config. */
export function setLogLevel(level: LevelWithSilent): void {
  root.level = level;
  for (const child of children) child.level = level;
}

/** A named logger for one module: `logger('stage.whip')`. Debug tracing is off by default. */
export function logger(name: string): Logger {
  const child = root.child({ mod: name });
  children.push(child);
  return child;
}
