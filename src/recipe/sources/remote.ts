import { RecipeSourceError } from '../errors.ts';

/** A git repository, an optional ref (branch or tag) and the recipe's folder inside it. */
interface GitSpec {
  kind: 'git';
  repoUrl: string;
  ref: string | undefined;
  subpath: string;
}

/** The reference's fsspec-style `github://ORG:REPO@REF/PATH`. */
export interface GithubSpec {
  kind: 'github';
  org: string;
  repo: string;
  ref: string;
  path: string;
}

const GIT_SCHEMES = ['https:', 'http:', 'ssh:', 'git:', 'file:'];

/**
 * Parses a remote recipe source:
 *  - `git+URL[@REF][#SUBPATH]` (pip-style; `#subdirectory=SUBPATH` also accepted), where URL is
 *    https, http, ssh, git or file; REF is the text after the last `@` of the URL path, e.g.
 *    `git+https://github.com/org/recipes.git@main#recipes/seal-tags`, `git+file:///srv/recipes@v1#seal-tags`;
 *  - a plain URL whose path ends in `.git` (optionally with `@REF` and `#SUBPATH`), read as if prefixed by `git+`;
 *  - `github://ORG:REPO@REF/PATH` as in the reference (fsspec's GitHub file system).
 */
export function parseRemote(text: string): GitSpec | GithubSpec | undefined {
  if (text.startsWith('github://')) return parseGithub(text);
  if (text.startsWith('git+')) return parseGit(text.slice(4), text);
  const plain = /^[a-z][a-z0-9+.-]*:\/\/[^#]*?\.git(?:@[^#/]+)?\/?(?:#.*)?$/i;
  if (plain.test(text)) return parseGit(text, text);
  return undefined;
}

function parseGithub(text: string): GithubSpec {
  const match = /^github:\/\/([A-Za-z0-9][A-Za-z0-9-]*):([A-Za-z0-9._-]+)@([^/]+)(?:\/(.*))?$/.exec(text);
  if (!match) {
    throw new RecipeSourceError(
      text,
      `${text}: expected github://ORG:REPO@REF/PATH, e.g. github://qgreenland-net:ogdc-recipes@main/recipes/seal-tags`,
    );
  }
  const [, org, repo, ref, rest] = match;
  return { kind: 'github', org: org!, repo: repo!, ref: checkRef(ref!, text), path: checkSubpath(rest ?? '', text) };
}

function parseGit(body: string, text: string): GitSpec {
  const hash = body.indexOf('#');
  const urlPart = hash === -1 ? body : body.slice(0, hash);
  const fragment = hash === -1 ? '' : body.slice(hash + 1).replace(/^subdirectory=/, '');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(urlPart);
  if (!scheme || !GIT_SCHEMES.includes(`${scheme[1]!.toLowerCase()}:`)) {
    throw new RecipeSourceError(text, `${text}: expected git+URL[@REF][#PATH] with an https, http, ssh, git or file URL`);
  }
  // The authority may hold `user@`; the ref is the last `@` after it.
  const pathStart = urlPart.indexOf('/', scheme[0].length);
  const at = urlPart.lastIndexOf('@');
  const hasRef = pathStart !== -1 && at > pathStart;
  const repoUrl = hasRef ? urlPart.slice(0, at) : urlPart;
  try {
    new URL(repoUrl);
  } catch {
    throw new RecipeSourceError(text, `${text}: ${JSON.stringify(repoUrl)} is not a valid URL`);
  }
  return { kind: 'git', repoUrl, ref: hasRef ? checkRef(urlPart.slice(at + 1), text) : undefined, subpath: checkSubpath(fragment, text) };
}

/** Refs are passed to git as arguments: refuse anything that could read as an option or a range. */
function checkRef(ref: string, text: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(ref) || ref.startsWith('-') || ref.includes('..') || ref.startsWith('/') || ref.endsWith('/')) {
    throw new RecipeSourceError(text, `${text}: ${JSON.stringify(ref)} is not a valid git ref`);
  }
  return ref;
}

/** A path inside the repository: relative, without `..`. */
function checkSubpath(raw: string, text: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    decoded = raw;
  }
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..') || decoded.includes('\0') || decoded.includes('\\')) {
    throw new RecipeSourceError(text, `${text}: the path ${JSON.stringify(decoded)} must stay inside the repository (no "..")`);
  }
  return parts.join('/');
}
