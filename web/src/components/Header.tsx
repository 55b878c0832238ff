/** The top bar: brand, start a space, and who is signed in. */
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { setSession, useSession } from '../lib/session.js';
import { toast } from '../lib/toast.js';
import { useState } from 'preact/hooks';
import { Avatar } from './Avatar.js';
import { AvatarEditor } from './AvatarEditor.js';
import { Icon } from './Icon.js';

export function Header() {
  const session = useSession();
  const [editing, setEditing] = useState(false);
  const signOut = async () => {
    try {
      await api.signOut();
    } catch (err) {
      console.warn('sign-out: the server did not confirm; forgetting the token anyway', err);
    }
    setSession(null);
    toast('Signed out.');
    navigate('/');
  };
  return (
    <header class="topbar">
      <a href="/" class="brand" aria-label="Rostra home">
        <span class="brand-mark" aria-hidden="true" />
        Rostra
      </a>
      <nav class="topnav" aria-label="Account">
        {session ? (
          <>
            <a class="btn btn-primary btn-sm" href="/new" aria-label="Start a space">
              <Icon name="plus" size={16} /> <span>Start a space</span>
            </a>
            <button
              type="button"
              class="me"
              title={`@${session.user.handle}`}
              aria-label={`${session.user.displayName}: profile photo`}
              onClick={() => setEditing(true)}
            >
              <Avatar
                id={session.user.id}
                name={session.user.displayName}
                src={session.user.avatarUrl}
                size="sm"
              />
              <span class="me-name">{session.user.displayName}</span>
            </button>
            {editing && <AvatarEditor onClose={() => setEditing(false)} />}
            <button type="button" class="btn btn-ghost btn-sm" onClick={() => void signOut()}>
              Sign out
            </button>
          </>
        ) : (
          <>
            <a class="btn btn-ghost btn-sm" href={`/signin?next=${encodeURIComponent(location.pathname)}`}>
              Sign in
            </a>
            <a class="btn btn-primary btn-sm" href={`/signup?next=${encodeURIComponent(location.pathname)}`}>
              Sign up
            </a>
          </>
        )}
      </nav>
    </header>
  );
}
