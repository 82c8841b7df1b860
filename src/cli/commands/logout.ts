import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { deleteTokens, readTokens } from '../token-file.ts';

/**
 * Revokes the stored refresh token at the service (POST /logout) and deletes the token file.
 * The file goes even when the service cannot be reached; the answer says whether it revoked.
 */
async function logout(client: ApiClient): Promise<{ revoked: boolean | undefined; deleted: boolean }> {
  const stored = await readTokens(client.tokenFile);
  let revoked: boolean | undefined;
  if (stored.refresh_token) {
    try {
      const response = await client.raw('/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: stored.refresh_token }),
      });
      revoked = response.ok;
    } catch {
      revoked = false;
    }
  }
  return { revoked, deleted: await deleteTokens(client.tokenFile) };
}

/** `ogdc-runner logout`. */
export function register(program: Command): void {
  program
    .command('logout')
    .description('Revoke the saved refresh token at the service and delete the token file')
    .action(async () => {
      const client = new ApiClient();
      const { revoked, deleted } = await logout(client);
      if (!deleted) {
        process.stdout.write(`No tokens were saved (${client.tokenFile}).\n`);
        return;
      }
      const note = revoked === false ? ' The service could not revoke the refresh token; it ends when it expires.' : '';
      process.stdout.write(`Signed out: ${client.tokenFile} deleted.${note}\n`);
    });
}
