/**
 * My profile photo: pick a PNG, JPEG or WebP (up to 2 MB); the server checks it, crops it to a square and
 * re-encodes it, or says why not. Removing it brings back the coloured initials.
 */
import { useState } from 'preact/hooks';
import { describeError, isApiError } from '../api/ApiError.js';
import { api } from '../lib/api.js';
import { getSession, setSession } from '../lib/session.js';
import { toast } from '../lib/toast.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';

const ACCEPT = 'image/png,image/jpeg,image/webp';

export function AvatarEditor({ onClose }: { onClose: () => void }) {
  const session = getSession();
  const [avatarUrl, setAvatarUrl] = useState(session?.user.avatarUrl);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!session) return null;
  const { user } = session;

  const remember = (url: string | undefined) => {
    setAvatarUrl(url);
    const current = getSession();
    if (!current) return;
    const { avatarUrl: _old, ...rest } = current.user;
    setSession({ ...current, user: url !== undefined ? { ...rest, avatarUrl: url } : rest });
  };
  const upload = async (file: File) => {
    setBusy(true);
    setError(null);
    try {
      // The type the browser gives (from the name) is only a hint: the server reads the bytes.
      const typed = ACCEPT.split(',').includes(file.type) ? file : new Blob([file], { type: 'image/png' });
      const { avatarUrl: url } = await api.setAvatar(typed);
      remember(url);
      toast('Photo updated.');
    } catch (err) {
      setError(
        isApiError(err, 'payload_too_large')
          ? 'That file is too large. Pick one under 2 MB.'
          : isApiError(err, 'invalid_image') || isApiError(err, 'unsupported_media_type')
            ? 'That file is not a PNG, JPEG or WebP picture we can read. Try another.'
            : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.removeAvatar();
      remember(undefined);
      toast('Photo removed.');
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Profile photo" onClose={onClose}>
      <div class="avatar-editor">
        <Avatar id={user.id} name={user.displayName} src={avatarUrl} size="lg" />
        <label class="btn btn-primary btn-sm file-btn" aria-disabled={busy}>
          {busy ? 'Uploading…' : avatarUrl !== undefined ? 'Change photo' : 'Upload a photo'}
          <input
            class="visually-hidden"
            type="file"
            accept={ACCEPT}
            disabled={busy}
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (file) void upload(file);
            }}
          />
        </label>
        {avatarUrl !== undefined && (
          <button type="button" class="btn btn-ghost btn-sm" disabled={busy} onClick={() => void remove()}>
            Remove photo
          </button>
        )}
      </div>
      <p class="muted">
        PNG, JPEG or WebP, up to 2 MB. It is cropped to a square; location and camera data are removed.
      </p>
      {error !== null && (
        <p class="notice notice-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
