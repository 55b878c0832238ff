/** Runs speaker bots for the CLI and reports, once a second, what each one hears and its delay. */
import { SpeakerBot, type BotAudio } from '../bot/index.js';

export interface BotLine {
  bot: string;
  hears: number[];
  /** Speaker-to-speaker delay of the pulses this bot heard in the last second (median), if any. */
  delayMs: number | null;
}

export interface RunningBot {
  name: string;
  bot: SpeakerBot;
}

export function startBot(
  name: string,
  whipUrl: string,
  token: string,
  audio: BotAudio,
  listenHz: number[],
): RunningBot {
  return { name, bot: new SpeakerBot({ whipUrl, token, audio, listenHz }) };
}

/** One report line per bot: tones heard now, and the delay of pulses (sent by any other bot) heard since `since`. */
export function reportLines(bots: readonly RunningBot[], since: number): BotLine[] {
  const sent = bots.flatMap((b) => b.bot.report().pulsesSent.map((at) => ({ at, by: b.name })));
  return bots.map(({ name, bot }) => {
    const r = bot.report();
    const delays = r.pulsesHeard
      .filter((at) => at >= since)
      .map((at) => {
        const before = sent.filter((p) => p.by !== name && p.at <= at).map((p) => p.at);
        return before.length > 0 ? at - Math.max(...before) : NaN;
      })
      .filter((d) => Number.isFinite(d));
    const sorted = delays.sort((a, b) => a - b);
    return {
      bot: name,
      hears: r.heard.map((t) => t.frequencyHz).sort((a, b) => a - b),
      delayMs: sorted.length > 0 ? Math.round(sorted[Math.floor(sorted.length / 2)] as number) : null,
    };
  });
}

/** Resolves after `seconds` (Infinity: on SIGINT/SIGTERM), calling `tick` every second meanwhile. */
export async function runFor(seconds: number, tick: () => void): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setInterval(tick, 1000);
    const stop = () => {
      clearInterval(timer);
      clearTimeout(end);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    const end = Number.isFinite(seconds) ? setTimeout(stop, seconds * 1000) : undefined;
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
