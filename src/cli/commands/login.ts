import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';
import { CliError } from '../errors.ts';
import { writeTokens } from '../token-file.ts';

/** Signs in with a local account's name and password and stores the access and refresh tokens. */
async function passwordLogin(client: ApiClient, username: string, password: string): Promise<string> {
  const data = await client.passwordLogin(username, password);
  await writeTokens(client.tokenFile, {
    access_token: data.access_token,
    ...(data.refresh_token && { refresh_token: data.refresh_token }),
  });
  return client.tokenFile;
}

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `ogdc-runner login [--username NAME] [--password-stdin] [--oidc]`. */
export function register(program: Command): void {
  program
    .command('login')
    .description('Sign in: a local account by name and password (tokens go to the token file), or print the OpenID sign-in URL')
    .option('--username <name>', 'local account name (default OGDC_API_USERNAME)')
    .option('--password-stdin', 'read the password from standard input (default OGDC_API_PASSWORD)')
    .option('--oidc', 'sign in through the OpenID provider: prints the URL to open in a browser')
    .action(async (options: { username?: string; passwordStdin?: boolean; oidc?: boolean }) => {
      const client = new ApiClient();
      const username = options.username ?? process.env.OGDC_API_USERNAME;
      if (options.oidc || !username) {
        process.stdout.write(
          `Open this URL in a browser and sign in:\n\n  ${client.baseUrl}/login\n\n` +
            "It answers JSON with your tokens. Save them with:\n\n  ogdc-runner set-token --json-str '<the JSON>'\n",
        );
        return;
      }
      const password = options.passwordStdin ? await readPassword() : (process.env.OGDC_API_PASSWORD ?? process.env.OGDC_API_password);
      if (!password) throw new CliError('Give the password on standard input with --password-stdin, or in OGDC_API_PASSWORD.');
      const file = await passwordLogin(client, username, password);
      process.stdout.write(`Signed in as ${username}; tokens saved to ${file}.\n`);
    });
}
