/** Sign in and sign up: one form, two modes. */
import { useEffect, useState } from 'preact/hooks';
import { describeError, isApiError } from '../api/ApiError.js';
import { api } from '../lib/api.js';
import { navigate, nextParam } from '../lib/router.js';
import { setSession } from '../lib/session.js';

export function AuthPage({ mode }: { mode: 'signin' | 'signup' }) {
  const [handle, setHandle] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === 'signup';
  const next = nextParam();

  useEffect(() => {
    document.title = signup ? 'Sign up — Rostra' : 'Sign in — Rostra';
    setError(null);
  }, [signup]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = signup
        ? await api.signUp(handle.trim(), password, displayName.trim() || handle.trim())
        : await api.signIn(handle.trim(), password);
      setSession(session);
      navigate(next, { replace: true });
    } catch (err) {
      if (isApiError(err, 'validation_failed'))
        setError(
          signup
            ? 'Check the form: a handle is 3–15 letters, digits or _, and a password at least 8 characters.'
            : 'Wrong handle or password.',
        );
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const other = signup ? '/signin' : '/signup';
  return (
    <main id="main" class="page narrow">
      <form
        class="card form"
        onSubmit={(e) => void submit(e)}
        aria-describedby={error !== null ? 'auth-error' : undefined}
      >
        <h1>{signup ? 'Create your account' : 'Welcome back'}</h1>
        <p class="muted">
          {signup ? 'Host spaces and take the stage.' : 'Sign in to speak, react and host.'}
        </p>
        {signup && (
          <label class="field">
            <span>Display name</span>
            <input
              name="displayName"
              autoComplete="name"
              maxLength={50}
              required
              value={displayName}
              onInput={(e) => setDisplayName(e.currentTarget.value)}
            />
          </label>
        )}
        <label class="field">
          <span>Handle</span>
          <input
            name="handle"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            pattern="[A-Za-z0-9_]{3,15}"
            title="3 to 15 letters, digits or _"
            required
            value={handle}
            onInput={(e) => setHandle(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete={signup ? 'new-password' : 'current-password'}
            minLength={8}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {signup && <span class="hint">At least 8 characters.</span>}
        </label>
        {error !== null && (
          <p id="auth-error" class="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'One moment…' : signup ? 'Sign up' : 'Sign in'}
        </button>
        <p class="muted center">
          {signup ? 'Already have an account?' : 'New to Rostra?'}{' '}
          <a href={`${other}?next=${encodeURIComponent(next)}`}>{signup ? 'Sign in' : 'Create an account'}</a>
        </p>
      </form>
    </main>
  );
}
