import { useState } from 'preact/hooks';
import { post } from '../api';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

/** Sign up (a new organization, its owner and a first OU) or log in; both set the session cookies. */
export function Login({ onSignedIn }: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<'login' | 'signup'>('login');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const form = Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as Record<string, string>;
    void action.run(async () => {
      await post(mode === 'login' ? '/auth/login' : '/auth/signup', form);
      onSignedIn();
    });
  };
  const signup = mode === 'signup';
  return (
    <main id="main" class="login">
      <h1>Leadvibe</h1>
      <form class="card" onSubmit={submit} aria-labelledby="login-h">
        <h2 id="login-h">{signup ? 'Create your organization' : 'Log in'}</h2>
        {signup && (
          <>
            <label>
              Organization <input name="organization_name" required maxLength={200} autoComplete="organization" />
            </label>
            <label>
              First name <input name="first_name" required autoComplete="given-name" />
            </label>
            <label>
              Last name <input name="last_name" required autoComplete="family-name" />
            </label>
          </>
        )}
        <label>
          Email <input name="email" type="email" required autoComplete="email" />
        </label>
        <label>
          Password{' '}
          <input name="password" type="password" required autoComplete={signup ? 'new-password' : 'current-password'} />
        </label>
        <ErrorNote message={action.error} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Please wait…' : signup ? 'Sign up' : 'Log in'}
        </button>
        <button type="button" class="link" onClick={() => setMode(signup ? 'login' : 'signup')}>
          {signup ? 'I have an account: log in' : 'New here? Sign up'}
        </button>
      </form>
    </main>
  );
}
