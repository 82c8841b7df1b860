import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbTargets, bearer, startArgoBackedService, type ArgoBackedService } from './setup.ts';
import { form } from '../helpers/service.ts';
import { dummyPasswordHash, verificationObservers } from '../../src/service/auth/passwords.ts';

/** Records the hash of every argon2 verification made while `fn` runs (passwords.ts's observers are the seam). */
async function verifiedHashes(fn: () => Promise<unknown>): Promise<string[]> {
  const hashes: string[] = [];
  const observe = (hash: string) => hashes.push(hash);
  verificationObservers.add(observe);
  try {
    await fn();
  } finally {
    verificationObservers.delete(observe);
  }
  return hashes;
}

for (const target of dbTargets()) {
  describe(`no enumeration on ${target.name}`, () => {
    let s: ArgoBackedService;
    let bob: string;
    before(async () => {
      s = await startArgoBackedService(target);
      await s.svc.userToken('alice');
      bob = await s.svc.userToken('bob');
    });
    after(() => s.stop());

    const login = (username: string, password: string) =>
      s.svc.app.inject({ method: 'POST', url: '/token', ...form({ username, password }) });

    it('verifies a password against the dummy hash for an unknown user, as it verifies a real hash for a wrong password', async () => {
      const alice = await s.svc.ctx.db.query<{ password_hash: string }>("SELECT password_hash FROM users WHERE name = 'alice'");
      let unknown: Awaited<ReturnType<typeof login>> | undefined;
      let wrong: Awaited<ReturnType<typeof login>> | undefined;
      const forUnknown = await verifiedHashes(async () => (unknown = await login('no-such-user', 'guess')));
      const forWrong = await verifiedHashes(async () => (wrong = await login('alice', 'guess')));
      assert.deepEqual(forUnknown, [await dummyPasswordHash()]);
      assert.deepEqual(forWrong, [alice[0]!.password_hash]);
      // The dummy hash costs what a user's hash costs: same algorithm and parameters.
      const params = (h: string) => h.split('$').slice(0, 4).join('$');
      assert.equal(params(forUnknown[0]!), params(forWrong[0]!));
      assert.equal(unknown!.statusCode, 401);
      assert.equal(wrong!.statusCode, 401);
      assert.equal(unknown!.body, wrong!.body);
    });

    it('verifies the password of a disabled user too, and answers it like a wrong one', async () => {
      await s.svc.userToken('dora');
      const admin = await s.svc.adminToken();
      assert.equal((await s.svc.app.inject({ method: 'POST', url: '/users/dora/disable', headers: bearer(admin) })).statusCode, 200);
      let res: Awaited<ReturnType<typeof login>> | undefined;
      const hashes = await verifiedHashes(async () => (res = await login('dora', 'dora-password')));
      assert.equal(hashes.length, 1);
      assert.equal(res!.statusCode, 401);
      assert.deepEqual(res!.json(), { detail: 'Incorrect username or password.' });
    });

    it("answers another user's run on every run route exactly as a run that does not exist", async () => {
      const name = 'alices-secret-run-x7k2p';
      const missing = 'never-existed-run-x7k2p';
      await s.svc.ctx.db.query(
        `INSERT INTO recipe_runs (user_id, recipe_path, recipe_id, recipe_name, workflow_name, engine, output_type, phase)
         SELECT id, 'github://org:repo@main/secret', 'secret', 'Secret', $1, 'argo', 'temporary', 'Running' FROM users WHERE name = 'alice'`,
        [name],
      );
      const routes: Array<['GET' | 'POST', string]> = [
        ['GET', '/runs/NAME'],
        ['GET', '/status/NAME'],
        ['GET', '/output/NAME'],
        ['GET', '/runs/NAME/logs'],
        ['GET', '/runs/NAME/logs?follow=true'],
        ['POST', '/runs/NAME/cancel'],
      ];
      for (const [method, route] of routes) {
        const other = await s.svc.app.inject({ method, url: route.replace('NAME', name), headers: bearer(bob) });
        const none = await s.svc.app.inject({ method, url: route.replace('NAME', missing), headers: bearer(bob) });
        assert.equal(other.statusCode, 404, route);
        assert.equal(other.body.replaceAll(name, 'NAME'), none.body.replaceAll(missing, 'NAME'), route);
        assert.match(other.json().detail, /not found/, route);
      }
      const list = (await s.svc.app.inject({ url: '/runs', headers: bearer(bob) })).json();
      assert.equal(list.total, 0);
      // Nothing about alice's run was asked of the engine on bob's behalf, nor stopped.
      assert.deepEqual(
        s.argo.requests.filter((r) => r.path.includes(name)),
        [],
      );
      const row = await s.svc.ctx.db.query<{ phase: string }>('SELECT phase FROM recipe_runs WHERE workflow_name = $1', [name]);
      assert.equal(row[0]!.phase, 'Running');
    });
  });
}
