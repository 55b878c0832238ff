// Recording and replay: the recorder of a live space, crash recovery and retention (HTTP: src/api/routes/replay.ts).
export {
  Recorder,
  RecordingFinishedError,
  type RecorderOptions,
  type RecordablePackager,
} from './Recorder.js';
export { Recordings, type RecordingsOptions, type RecordableMedia, type ReplayStatus } from './Recordings.js';
export { recoverInterrupted, type RecoverOptions, type RecoveredRecording } from './recoverInterrupted.js';
export { RetentionSweeper, type RetentionSweeperOptions } from './RetentionSweeper.js';
export { renderReplayPlaylist } from './ReplayPlaylist.js';
export { Clips, CLIP_SECONDS, type ClipsOptions, type ClipRequest } from './Clips.js';
