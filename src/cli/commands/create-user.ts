import type { Command } from 'commander';
import { ApiClient } from '../api-client.ts';

/** Asks the service to create a user (the caller must be admin); returns the service's message. */
export async function createUser(client: ApiClient, username: string, password: string): Promise<string> {
  const body = new URLSearchParams({ username, password }).toString();
  const data = await client.json<{ message: string }>('/create_user', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  return data.message;
}

/** `ogdc-runner create-user USERNAME PASSWORD`. */
export function register(program: Command): void {
  program
    .command('create-user')
    .description('Create an OGDC user (requires admin credentials in OGDC_API_USERNAME / OGDC_API_PASSWORD)')
    .argument('<username>', 'name of the new user')
    .argument('<password>', 'password of the new user')
    .action(async (username: string, password: string) => {
      process.stdout.write(`${await createUser(new ApiClient(), username, password)}\n`);
    });
}
