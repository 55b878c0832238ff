/** Asking for the microphone, with failures sorted into what the UI can explain. */

export type MicFailure = 'denied' | 'no_device' | 'in_use' | 'unsupported';

export class MicError extends Error {
  readonly kind: MicFailure;
  constructor(kind: MicFailure, message: string) {
    super(message);
    this.name = 'MicError';
    this.kind = kind;
  }
}

export const MIC_HELP: Record<MicFailure, string> = {
  denied:
    'Microphone access is blocked. Allow it for this site in your browser’s address bar or settings, then try again.',
  no_device: 'No microphone was found. Plug one in, then try again.',
  in_use: 'Your microphone is busy in another app. Close it there, then try again.',
  unsupported: 'This browser cannot share a microphone here. Use a recent browser over HTTPS.',
};

/** 'granted' lets the app connect without asking again; 'unknown' where the Permissions API cannot tell. */
export async function micPermission(): Promise<'granted' | 'denied' | 'prompt' | 'unknown'> {
  try {
    const status = await navigator.permissions.query({ name: 'microphone' as PermissionName });
    return status.state;
  } catch {
    return 'unknown'; // Firefox and older Safari do not know the 'microphone' permission name
  }
}

/** One mono Opus-friendly track. Voice processing stays on: speakers hear the room through speakers. */
export async function openMicrophone(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new MicError('unsupported', MIC_HELP.unsupported);
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      video: false,
    });
  } catch (err) {
    const name = err instanceof DOMException ? err.name : '';
    if (name === 'NotAllowedError' || name === 'SecurityError') throw new MicError('denied', MIC_HELP.denied);
    if (name === 'NotFoundError' || name === 'OverconstrainedError')
      throw new MicError('no_device', MIC_HELP.no_device);
    if (name === 'NotReadableError' || name === 'AbortError') throw new MicError('in_use', MIC_HELP.in_use);
    throw new MicError('unsupported', err instanceof Error ? err.message : MIC_HELP.unsupported);
  }
}
