/**
 * The page's audio and the microphone flow: explain, ask, handle a refusal, connect over WHIP; listen
 * over HLS whenever there is a listener ticket and no live speaking session.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import { MIC_HELP, MicError, micPermission, openMicrophone } from '../audio/Microphone.js';
import { SpaceAudio, type AudioMode } from '../audio/SpaceAudio.js';
import type { HlsPlayer } from '../audio/HlsPlayer.js';
import { api } from '../lib/api.js';
import { getSession } from '../lib/session.js';

export type MicState = 'off' | 'asking' | 'denied' | 'connecting' | 'live' | 'failed' | 'reconnecting';

/** Waits between tries to bring a dropped mic back: 1 s, 2 s, 4 s, then every 8 s while on stage. */
const RECONNECT_MS = [1000, 2000, 4000, 8000];

export interface StageAudioInput {
  spaceId: string;
  live: boolean;
  ended: boolean;
  onStage: boolean;
  muted: boolean;
  /** The listener playlist while a ticket is held; null otherwise. */
  playlistUrl: string | null;
  /** A player already playing this space (back from the mini player). */
  adopted?: HlsPlayer | undefined;
}

export interface StageAudio {
  mode: AudioMode;
  mic: MicState;
  micMessage: string | null;
  trouble: string | null;
  autoplayBlocked: boolean;
  /** Asks for the mic and connects; `onAllowed` runs once the browser grants it. */
  turnOnMic: (onAllowed?: () => void) => Promise<boolean>;
  resume: () => void;
  /** Gives the playing listener player away (to the mini player); null when not listening. */
  releaseListening: () => HlsPlayer | null;
}

export function useStageAudio(input: StageAudioInput): StageAudio {
  const { spaceId, live, ended, onStage, muted, playlistUrl } = input;
  const adoptedRef = useRef(input.adopted);
  const [mode, setMode] = useState<AudioMode>('off');
  const [mic, setMic] = useState<MicState>('off');
  const [micMessage, setMicMessage] = useState<string | null>(null);
  const [trouble, setTrouble] = useState<string | null>(null);
  const [autoplayBlocked, setAutoplayBlocked] = useState(false);
  const mutedRef = useRef(muted);
  mutedRef.current = muted;
  /** The mic had worked and dropped without the person asking: bring it back by itself. */
  const dropped = useRef(false);
  const tries = useRef(0);

  const audio = useMemo(
    () =>
      new SpaceAudio({
        mode: (m) => {
          setMode(m);
          if (m !== 'speaking') setMic((s) => (s === 'live' ? 'off' : s));
        },
        trouble: setTrouble,
        autoplayBlocked: () => setAutoplayBlocked(true),
        speakFailed: (message) => {
          dropped.current = true;
          setMic('reconnecting');
          setMicMessage(message);
        },
      }),
    [spaceId],
  );
  useEffect(() => () => audio.close(), [audio]);

  useEffect(() => {
    if (ended) audio.close();
  }, [audio, ended]);

  useEffect(() => {
    if (!live || playlistUrl === null) return;
    const adopted = adoptedRef.current;
    adoptedRef.current = undefined;
    if (adopted) audio.adopt(adopted, api.url(playlistUrl));
    else audio.listen(api.url(playlistUrl)).catch((err: unknown) => setTrouble(describeError(err)));
  }, [audio, live, playlistUrl]);

  useEffect(() => {
    if (!live || playlistUrl === null) return;
    // No ticket any more (a speaker now): the WHIP path has taken over, or there is nothing to hear.
    return () => {
      // Also while the player is still starting (mode not yet 'listening'); never the speaking path.
      if (audio.mode !== 'speaking') audio.stopListening();
    };
  }, [audio, live, playlistUrl]);

  useEffect(() => audio.setMicEnabled(!muted), [audio, muted, mic]);

  const turnOnMic = useCallback(
    async (onAllowed?: () => void): Promise<boolean> => {
      const token = getSession()?.token;
      if (token === undefined) return false;
      setMic(dropped.current ? 'connecting' : 'asking');
      setMicMessage(null);
      let stream: MediaStream;
      try {
        stream = await openMicrophone();
      } catch (err) {
        setMic(err instanceof MicError && err.kind === 'denied' ? 'denied' : 'failed');
        setMicMessage(err instanceof MicError ? MIC_HELP[err.kind] : describeError(err));
        return false;
      }
      for (const t of stream.getAudioTracks()) t.enabled = !mutedRef.current;
      setMic('connecting');
      onAllowed?.();
      try {
        await audio.speak(api.whipUrl(spaceId), token, stream);
        const up = audio.mode === 'speaking';
        if (up) {
          dropped.current = false;
          tries.current = 0;
          setMicMessage(null);
        }
        setMic(up ? 'live' : dropped.current ? 'reconnecting' : 'off');
        return true;
      } catch (err) {
        for (const t of stream.getTracks()) t.stop();
        setMic(dropped.current ? 'reconnecting' : 'failed');
        setMicMessage(`Your microphone could not connect: ${describeError(err)}`);
        return false;
      }
    },
    [audio, spaceId],
  );

  // On stage with the mic already allowed (a reload, a returning speaker): connect without asking.
  const autoTried = useRef(false);
  useEffect(() => {
    if (!onStage) {
      autoTried.current = false;
      return;
    }
    if (!live || autoTried.current || mic !== 'off') return;
    autoTried.current = true;
    void micPermission().then((p) => {
      if (p === 'granted') void turnOnMic();
    });
  }, [onStage, live, mic, turnOnMic]);

  // A mic that dropped (the server restarted, the network blinked) comes back by itself while on stage.
  useEffect(() => {
    if (mic !== 'reconnecting') return;
    if (!onStage || !live || ended) {
      dropped.current = false;
      setMic('off');
      setMicMessage(null);
      return;
    }
    const wait = RECONNECT_MS[Math.min(tries.current, RECONNECT_MS.length - 1)] ?? 8000;
    tries.current++;
    const t = setTimeout(() => void turnOnMic(), wait);
    return () => clearTimeout(t);
  }, [mic, onStage, live, ended, turnOnMic]);

  // Off stage: the mic goes once listening has taken over (SpaceAudio closes WHIP then).
  useEffect(() => {
    if (!onStage && (mic === 'denied' || mic === 'failed')) {
      setMic('off');
      setMicMessage(null);
    }
  }, [onStage, mic]);

  const resume = useCallback(() => {
    setAutoplayBlocked(false);
    audio.resume();
  }, [audio]);

  const releaseListening = useCallback(() => audio.releaseListening(), [audio]);
  return { mode, mic, micMessage, trouble, autoplayBlocked, turnOnMic, resume, releaseListening };
}
