import { useEffect, useRef, useState } from 'preact/hooks';
import { postJson, problemText, type Session, type SignIn } from '../api.ts';

/** The sign-in form; the URL fragment is left alone, so signing in returns to the same place. */
// eslint-disable-next-line max-lines-per-function -- a page component: its state, effects and JSX read together
export function SignInPage({
  signIn,
  expired,
  onSignedIn,
  onBrowse,
}: {
  signIn: SignIn;
  expired: boolean;
  onSignedIn: (s: Session) => void;
  onBrowse?: () => void;
}) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError('');
    try {
      onSignedIn(await postJson<Session>('session', { username: form.get('username'), password: form.get('password') }));
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  // /login takes `next` as a path of this service; /authorize returns there with the session cookie set.
  const back = encodeURIComponent(`${location.pathname}${location.hash || '#/'}`);
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to OGDC</h1>
      {expired && <p role="status">Your session has ended. Sign in again to continue where you were.</p>}
      {signIn.oidc_login_url && (
        <p>
          <a class="button" href={`${signIn.oidc_login_url}?next=${back}`}>
            Sign in with your organisation's account
          </a>
        </p>
      )}
      {signIn.password && (
        <form onSubmit={submit} aria-label="Sign in">
          <label>
            Username
            <input ref={first} name="username" autocomplete="username" required />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      )}
      {onBrowse && (
        <p>
          <button type="button" class="link" onClick={onBrowse}>
            Look at the runs without signing in
          </button>
        </p>
      )}
    </main>
  );
}
