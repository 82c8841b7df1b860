import { useEffect, useState } from 'preact/hooks';
import { json, postJson, problemText, request, type Session } from '../api.ts';
import { time } from '../format.ts';

interface UserRow {
  name: string;
  is_admin: boolean;
  created_at: string;
  disabled_at: string | null;
}

/** Admin: the users, and creating, disabling, enabling and deleting them. */
// eslint-disable-next-line max-lines-per-function -- a page component: its state, effects and JSX read together
export function AdminPage({ session }: { session: Session }) {
  const [users, setUsers] = useState<UserRow[]>([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const load = async () => setUsers((await json<{ users: UserRow[] }>('users')).users);
  useEffect(() => void load().catch((e) => setError(problemText(e))), []);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError('');
    setNotice('');
    try {
      await what();
      setNotice(done);
      await load();
    } catch (err) {
      setError(problemText(err));
    }
  };
  const create = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('username'));
    void act(async () => {
      await request('create_user', {
        method: 'POST',
        body: new URLSearchParams({ username: name, password: String(data.get('password')) }),
      });
      form.reset();
    }, `Created ${name}.`);
  };
  const path = (name: string) => `users/${encodeURIComponent(name)}`;
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <form class="filters" onSubmit={create} aria-label="Create a user">
        <label>
          New username
          <input name="username" required autocomplete="off" />
        </label>
        <label>
          Password
          <input name="password" type="password" required autocomplete="new-password" />
        </label>
        <button type="submit">Create user</button>
      </form>
      {notice && <p role="status">{notice}</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="scroll">
        <table aria-label="Users">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.name}>
                <td>{u.name}</td>
                <td>{u.is_admin ? 'admin' : 'user'}</td>
                <td>{time(u.created_at)}</td>
                <td>{u.disabled_at ? `disabled ${time(u.disabled_at)}` : 'active'}</td>
                <td class="actions">
                  {u.name !== session.current_user &&
                    (u.disabled_at ? (
                      <button
                        type="button"
                        aria-label={`Enable ${u.name}`}
                        onClick={() => act(() => postJson(`${path(u.name)}/enable`, {}), `Enabled ${u.name}.`)}
                      >
                        Enable
                      </button>
                    ) : (
                      <button
                        type="button"
                        aria-label={`Disable ${u.name}`}
                        onClick={() => act(() => postJson(`${path(u.name)}/disable`, {}), `Disabled ${u.name}.`)}
                      >
                        Disable
                      </button>
                    ))}
                  {u.name !== session.current_user && (
                    <button
                      type="button"
                      aria-label={`Delete ${u.name}`}
                      onClick={() =>
                        confirm(`Delete ${u.name}?`) && act(() => json(path(u.name), { method: 'DELETE' }), `Deleted ${u.name}.`)
                      }
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
