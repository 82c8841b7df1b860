import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { anonymousSession, currentSession, setCsrfToken, whenSignedOut, json, type Session, type SignIn } from './api.ts';
import { SignInPage } from './pages/sign-in.tsx';
import { RunsPage } from './pages/runs.tsx';
import { RunPage } from './pages/run.tsx';
import { SubmitPage } from './pages/submit.tsx';
import { AdminPage } from './pages/admin.tsx';

/** The page's place, kept in the URL fragment so a reload or a new sign-in returns to it. */
function useRoute(): string {
  const [route, setRoute] = useState(location.hash.replace(/^#/, '') || '/');
  useEffect(() => {
    const update = () => setRoute(location.hash.replace(/^#/, '') || '/');
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

function Page({ route, session }: { route: string; session: Session }) {
  const run = /^\/runs\/([^/?]+)/.exec(route);
  if (run) return <RunPage key={run[1]} name={decodeURIComponent(run[1]!)} session={session} />;
  if (route.startsWith('/submit')) return <SubmitPage initial={new URLSearchParams(route.split('?')[1] ?? '')} />;
  if (route.startsWith('/admin'))
    return session.is_admin ? <AdminPage session={session} /> : <p role="alert">Only administrators manage users.</p>;
  return <RunsPage session={session} />;
}

// eslint-disable-next-line max-lines-per-function -- a page component: its state, effects and JSX read together
function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [signIn, setSignIn] = useState<SignIn>({ password: true, oidc_login_url: null });
  const [accessMode, setAccessMode] = useState('authenticated');
  const [expired, setExpired] = useState(false);

  const load = async () => {
    const s = await currentSession();
    setSignIn(s.signIn);
    setAccessMode(s.accessMode);
    setSession(s.session ?? null);
    if (s.session) setCsrfToken(s.session.csrf_token);
  };
  useEffect(() => {
    whenSignedOut(() => {
      setExpired(true);
      setSession(null);
    });
    void load();
  }, []);

  if (session === undefined) return <p aria-busy="true">Loading…</p>;
  if (session === null)
    return (
      <SignInPage
        signIn={signIn}
        expired={expired}
        // read_only: reads need no sign-in, so one may look around first.
        onBrowse={accessMode === 'read_only' ? () => setSession(anonymousSession(signIn)) : undefined}
        onSignedIn={(s) => {
          setExpired(false);
          setCsrfToken(s.csrf_token);
          setSession(s);
        }}
      />
    );
  const signOut = async () => {
    await json('session', { method: 'DELETE' });
    setExpired(false);
    setSession(null);
  };
  const anonymous = session.anonymous === true;
  const current = (prefix: string) => (route === prefix || (prefix !== '/' && route.startsWith(prefix)) ? 'page' : undefined);
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          OGDC runner
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={current('/')}>
            Runs
          </a>
          {!anonymous && (
            <a href="#/submit" aria-current={current('/submit')}>
              Submit
            </a>
          )}
          {session.is_admin && (
            <a href="#/admin" aria-current={current('/admin')}>
              Users
            </a>
          )}
          <a href="../">API</a>
        </nav>
        {session.access_mode === 'open' ? (
          <span class="who">Open service: no sign-in, acting as {session.current_user}</span>
        ) : anonymous ? (
          <span class="who">
            Not signed in (read only)
            <button type="button" onClick={() => setSession(null)}>
              Sign in
            </button>
          </span>
        ) : (
          <span class="who">
            Signed in as <strong>{session.current_user}</strong>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <main id="main">
        <Page route={route} session={session} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
