import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { isUnexpired, parseTokenJson, readTokens, tokenFilePath, writeTokens, type StoredTokens } from '../token-file.ts';

interface SetTokenOptions {
  access?: string;
  refresh?: string;
  jsonStr?: string;
}

/**
 * Stores tokens in the token file as the v0.4 Python CLI does: given tokens win (flags over the
 * JSON), a token not given is kept from the file while it has not expired. Returns the file.
 */
async function setToken(options: SetTokenOptions, file = tokenFilePath()): Promise<string> {
  const parsed = options.jsonStr !== undefined ? parseTokenJson(options.jsonStr) : {};
  const access = options.access || parsed.access_token;
  const refresh = options.refresh || parsed.refresh_token;
  const existing = await readTokens(file);
  const tokens: StoredTokens = {};
  const finalAccess = access ?? (isUnexpired(existing.access_token, 0) ? existing.access_token : undefined);
  const finalRefresh =
    refresh ??
    (existing.refresh_token && (existing.refresh_token.split('.').length !== 3 || isUnexpired(existing.refresh_token, 0))
      ? existing.refresh_token
      : undefined);
  if (finalAccess) tokens.access_token = finalAccess;
  if (finalRefresh) tokens.refresh_token = finalRefresh;
  if (!tokens.access_token && !tokens.refresh_token) {
    throw new CliError("At least one of 'access', 'refresh', or 'json-str' must be provided to set a token.", 2);
  }
  await writeTokens(file, tokens);
  return file;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `ogdc-runner set-token [--access T] [--refresh T] [--json-str JSON | -]`. */
export function register(program: Command): void {
  program
    .command('set-token')
    .description('Save tokens (what /authorize or /refresh answered) to the token file for later commands')
    .option('--access <token>', 'the access token')
    .option('--refresh <token>', 'the refresh token')
    .option('--json-str <json>', 'the JSON /authorize answered (or {"access_token", "refresh_token"}); "-" reads it from standard input')
    .addHelpText(
      'after',
      '\nWithout options, the JSON is read from standard input when it is not a terminal.\nThe file is TOKEN_CACHE_FILE, else $XDG_CONFIG_HOME/ogdc/tokens.json, else ~/.config/ogdc/tokens.json (mode 0600).',
    )
    .action(async (options: SetTokenOptions) => {
      let jsonStr = options.jsonStr;
      if (jsonStr === '-' || (jsonStr === undefined && !options.access && !options.refresh && !process.stdin.isTTY)) {
        jsonStr = await readStdin();
        if (jsonStr.trim() === '') jsonStr = undefined;
      }
      await setToken({ ...options, jsonStr });
      process.stdout.write('OGDC tokens updated successfully.\n');
    });
}
