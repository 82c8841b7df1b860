/**
 * A corpus of hostile and malformed requests across every route. Each must get
 * a 4xx answer with a `detail` message: never a 5xx, never a crash.
 */
import { gzipSync } from 'node:zlib';
import { buildTarGz } from '../helpers/tar-builder.ts';
import { recipeArchive } from './setup.ts';

export interface HostileRequest {
  what: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const GZIP = 'application/gzip';

/** Workflow names no route may accept, each with why (`..` itself is normalised away by clients: see the raw-socket test). */
const BAD_NAMES: Array<[string, string]> = [
  ['encoded slash traversal', '..%2f..%2fetc%2fpasswd'],
  ['upper case', 'Test-Workflow'],
  ['overlong (300 chars)', 'a'.repeat(300)],
  ['overlong (5000 chars)', 'b'.repeat(5000)],
  ['null byte', 'wf%00name'],
  ['unicode', '%E2%98%83-workflow'],
  ['spaces', 'my%20workflow'],
  ['shell metacharacters', '%24(reboot)'],
  ['leading dash', '-workflow'],
  ['bad percent-encoding', '%zz%'],
  ['unknown but valid', 'no-such-workflow-abcde'],
];

/** Values for `recipe_path` that must be refused before anything is fetched or read. */
const HOSTILE_RECIPE_PATHS: unknown[] = [
  '../../../etc',
  '/etc',
  '/etc/passwd',
  'file:///etc/passwd',
  'file:///',
  'http://127.0.0.1/recipe',
  'https://127.0.0.1:8443/recipe.tar.gz',
  'git+http://127.0.0.1/repo.git@main#recipe',
  'git+https://169.254.169.254/latest/meta-data@main',
  'git+http://[::1]/repo.git',
  'git+http://localhost/repo.git@main#recipe',
  'git+http://10.0.0.1/repo.git',
  'git+http://192.168.1.1/repo.git',
  'git+file:///etc',
  'git+ssh://git@127.0.0.1/repo.git',
  'github://org:repo@main/../../etc',
  'github://:@/',
  'ftp://example.org/recipe',
  'gopher://127.0.0.1:25/',
  'javascript:alert(1)',
  '',
  '   ',
  '\u0000',
  'x'.repeat(3000),
  'recipes/\u0000/meta.yml',
  42,
  null,
  true,
  ['a', 'b'],
  { path: '/etc' },
];

const JSON_BODIES: Array<[string, string]> = [
  ['malformed JSON', '{"recipe_path": '],
  ['JSON array', '[1, 2, 3]'],
  ['JSON string', '"github://org:repo@main/x"'],
  ['JSON null', 'null'],
  ['JSON number', '12'],
  ['empty JSON object', '{}'],
  ['prototype pollution', '{"__proto__": {"isAdmin": true}, "recipe_path": "x"}'],
  ['constructor pollution', '{"constructor": {"prototype": {"isAdmin": true}}}'],
  ['overwrite not a boolean', '{"recipe_path": "github://org:repo@main/x", "overwrite": "yes"}'],
  ['deeply nested', `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ['NaN token', '{"recipe_path": NaN}'],
  ['trailing garbage', '{"recipe_path": "x"} trailing'],
  ['BOM and garbage', '\ufeff{{{{'],
  ['empty body', ''],
];

function archives(): Array<[string, Buffer]> {
  const meta =
    'name: "Hostile"\nworkflow:\n  type: shell\ninput:\n  params:\n    - {type: url, value: "https://data.example.org/x.tif"}\noutput: {type: pvc}\n';
  const good = (extra: Parameters<typeof buildTarGz>[0]) =>
    buildTarGz([{ name: 'meta.yml', content: meta }, { name: 'recipe.sh', content: 'true\n' }, ...extra]);
  const valid = good([]);
  return [
    [
      'valid recipe with a directory named recipe.sh',
      buildTarGz([
        { name: 'meta.yml', content: meta },
        { name: 'recipe.sh/', type: '5' },
      ]),
    ],
    ['random bytes', Buffer.from('this is not a gzip file at all')],
    ['gzip of text, not tar', gzipSync('hello, not a tar archive')],
    ['truncated gzip', valid.subarray(0, Math.floor(valid.length / 2))],
    ['gzip header only', valid.subarray(0, 10)],
    ['empty body', Buffer.alloc(0)],
    ['empty archive', buildTarGz([])],
    ['no meta.yml', buildTarGz([{ name: 'recipe.sh', content: 'true\n' }])],
    ['meta.yml that is not YAML', buildTarGz([{ name: 'meta.yml', content: 'name: [unclosed\n\t- :' }])],
    ['meta.yml that is a list', buildTarGz([{ name: 'meta.yml', content: '- 1\n- 2\n' }])],
    ['absolute entry', good([{ name: '/etc/cron.d/evil', content: 'x' }])],
    ['dot-dot entry', good([{ name: '../../evil.sh', content: 'x' }])],
    ['symlink out', good([{ name: 'link', type: '2', linkname: '/etc/passwd' }])],
    ['symlinked meta.yml', buildTarGz([{ name: 'meta.yml', type: '2', linkname: '/etc/passwd' }])],
    ['hard link out', good([{ name: 'hard', type: '1', linkname: '/etc/shadow' }])],
    ['gzip bomb (a 60 MiB file of zeros)', good([{ name: 'zeros.bin', content: Buffer.alloc(60 * 1024 * 1024) }])],
    ['archive of zero blocks only', gzipSync(Buffer.alloc(4 * 1024 * 1024))],
    ['directory named meta.yml', buildTarGz([{ name: 'meta.yml/', type: '5' }])],
  ];
}

/** The corpus; `names.own` is a workflow of the caller's, `names.other` one of another user. */
export function hostileRequests(tokens: { user: string; admin: string }): HostileRequest[] {
  const auth = { authorization: `Bearer ${tokens.user}` };
  const admin = { authorization: `Bearer ${tokens.admin}` };
  const out: HostileRequest[] = [];
  const add = (r: HostileRequest) => out.push(r);

  // /token: the public login form.
  const login = (what: string, payload: string | Buffer, type = FORM) =>
    add({ what: `/token ${what}`, method: 'POST', url: '/token', headers: { 'content-type': type }, payload });
  login('overlong username', `username=${'u'.repeat(5000)}&password=x`);
  login('overlong password', `username=admin&password=${'p'.repeat(5000)}`);
  login('empty username', 'username=&password=x');
  login('repeated fields', 'username=a&username=b&password=x');
  login('bad percent-encoding', 'username=%zz&password=%');
  login('no fields', 'garbage');
  login('only ampersands', '&&&&&&');
  login('form body over the limit', `username=admin&password=${'p'.repeat(100 * 1024)}`);
  login('as JSON', '{"username": "admin", "password": "x"}', JSON_TYPE);
  login('malformed JSON', '{"username": ', JSON_TYPE);
  login('multipart', '--b\r\nContent-Disposition: form-data; name="username"\r\n\r\nadmin\r\n--b--', 'multipart/form-data; boundary=b');
  login('text/plain', 'username=admin&password=x', 'text/plain');
  login('xml', '<user>admin</user>', 'application/xml');
  login('gzip content type', Buffer.from('zzz'), GZIP);
  login('unicode username', `username=${encodeURIComponent('\u0000\u202e\ud83d\ude00')}&password=x`);
  add({ what: '/token GET', method: 'GET', url: '/token' });
  add({ what: '/token DELETE', method: 'DELETE', url: '/token' });

  // /refresh and /logout: public, a refresh token in a form or JSON. /login, /authorize: no provider configured here.
  for (const url of ['/refresh', '/logout']) {
    const post = (what: string, payload: string | Buffer, type = FORM) =>
      add({ what: `${url} ${what}`, method: 'POST', url, headers: { 'content-type': type }, payload });
    post('no fields', '');
    post('empty token', 'refresh_token=');
    post('garbage token', 'refresh_token=not-a-token');
    post('overlong token', `refresh_token=${'r'.repeat(20_000)}`);
    post('a forged JWT', 'refresh_token=eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl91c2UiOiJyZWZyZXNoIn0.c2ln');
    post('JSON number', '{"refresh_token": 12}', JSON_TYPE);
    post('JSON list', '[]', JSON_TYPE);
    post('malformed JSON', '{"refresh_token": ', JSON_TYPE);
  }
  add({ what: '/login without a provider', method: 'GET', url: '/login' });
  add({ what: '/login with a bad next', method: 'GET', url: '/login?next=https://evil.example' });
  add({ what: '/authorize without a provider', method: 'GET', url: '/authorize?code=x&state=y' });
  add({ what: '/authorize with an overlong code', method: 'GET', url: `/authorize?code=${'c'.repeat(5000)}` });

  // Bearer tokens of every malformed kind.
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
  const badTokens: Array<[string, string]> = [
    ['scheme only', 'Bearer'],
    ['Basic scheme', 'Basic YWRtaW46cGFzc3dvcmQ='],
    ['two tokens', 'Bearer a.b.c d.e.f'],
    ['empty token', 'Bearer '],
    ['huge token', `Bearer ${'a'.repeat(8000)}`],
    ['non-base64 parts', 'Bearer !!!.@@@.###'],
    ['header not JSON', `Bearer ${b64('not json')}.${b64({ sub: 'admin' })}.sig`],
    ['payload not JSON', `Bearer ${b64({ alg: 'HS256' })}.${b64('{{{')}.sig`],
    ['alg none, sub admin', `Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'admin', exp: now + 600 })}.`],
    ['sub a number', `Bearer ${b64({ alg: 'HS256' })}.${b64({ sub: 1, exp: now + 600 })}.AAAA`],
    ['exp a string', `Bearer ${b64({ alg: 'HS256' })}.${b64({ sub: 'admin', exp: 'never' })}.AAAA`],
    ['four parts', 'Bearer a.b.c.d'],
    ['unicode', 'Bearer \u00e9\u00e8.\u00e0.\u00fc'],
  ];
  for (const [what, value] of badTokens) {
    for (const url of ['/user', '/runs', '/status/some-workflow', '/runs/some-workflow/logs', '/users']) {
      add({ what: `${url} with ${what}`, method: 'GET', url, headers: { authorization: value } });
    }
    add({
      what: `/submit with ${what}`,
      method: 'POST',
      url: '/submit',
      headers: { authorization: value, 'content-type': JSON_TYPE },
      payload: '{"recipe_path":"x"}',
    });
  }

  // /create_user: bounded, sane usernames.
  const createUser = (what: string, fields: string) =>
    add({
      what: `/create_user ${what}`,
      method: 'POST',
      url: '/create_user',
      headers: { ...admin, 'content-type': FORM },
      payload: fields,
    });
  createUser('overlong username', `username=${'n'.repeat(200)}&password=x`);
  createUser('username with slash', 'username=a%2Fb&password=x');
  createUser('username with space', 'username=a%20b&password=x');
  createUser('username with newline', 'username=a%0Ab&password=x');
  createUser('empty password', 'username=newuser&password=');
  createUser('overlong password', `username=newuser&password=${'p'.repeat(2000)}`);
  createUser('JSON body', '{"username":"x","password":"y"}');
  add({
    what: '/create_user as non-admin',
    method: 'POST',
    url: '/create_user',
    headers: { ...auth, 'content-type': FORM },
    payload: 'username=sneaky&password=x',
  });
  add({
    what: '/user/password too short',
    method: 'PUT',
    url: '/user/password',
    headers: { ...auth, 'content-type': FORM },
    payload: 'current_password=x&new_password=y',
  });
  add({
    what: '/user/password wrong current',
    method: 'PUT',
    url: '/user/password',
    headers: { ...auth, 'content-type': FORM },
    payload: 'current_password=wrong&new_password=long-enough-password',
  });
  add({ what: '/users as non-admin', method: 'GET', url: '/users', headers: auth });
  add({ what: '/users/admin DELETE', method: 'DELETE', url: '/users/admin', headers: admin });
  add({ what: '/users/overlong disable', method: 'POST', url: `/users/${'x'.repeat(500)}/disable`, headers: admin });
  add({ what: '/users/unknown DELETE', method: 'DELETE', url: '/users/nobody-at-all', headers: admin });

  // /submit with hostile JSON.
  for (const value of HOSTILE_RECIPE_PATHS) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : JSON.stringify(value);
    add({
      what: `/submit recipe_path ${shown}`,
      method: 'POST',
      url: '/submit',
      headers: { ...auth, 'content-type': JSON_TYPE },
      payload: JSON.stringify({ recipe_path: value }),
    });
  }
  for (const [what, body] of JSON_BODIES) {
    add({ what: `/submit ${what}`, method: 'POST', url: '/submit', headers: { ...auth, 'content-type': JSON_TYPE }, payload: body });
  }
  add({
    what: '/submit JSON over the body limit',
    method: 'POST',
    url: '/submit',
    headers: { ...auth, 'content-type': JSON_TYPE },
    payload: JSON.stringify({ recipe_path: 'x'.repeat(2 * 1024 * 1024) }),
  });
  add({
    what: '/submit form body',
    method: 'POST',
    url: '/submit',
    headers: { ...auth, 'content-type': FORM },
    payload: 'recipe_path=/etc',
  });
  add({ what: '/submit text/plain', method: 'POST', url: '/submit', headers: { ...auth, 'content-type': 'text/plain' }, payload: '/etc' });
  add({ what: '/submit no content type', method: 'POST', url: '/submit', headers: auth, payload: 'whatever' });
  add({
    what: '/submit without a token',
    method: 'POST',
    url: '/submit',
    headers: { 'content-type': JSON_TYPE },
    payload: '{"recipe_path":"x"}',
  });
  // /submit with garbage and hostile tar.gz bodies.
  const uploads = archives();
  for (const [what, body] of uploads) {
    for (const type of [GZIP, 'application/octet-stream']) {
      add({
        what: `/submit upload (${type}) ${what}`,
        method: 'POST',
        url: '/submit',
        headers: { ...auth, 'content-type': type },
        payload: body,
      });
    }
  }
  const valid = recipeArchive('Query checks');
  add({
    what: '/submit upload over the upload limit',
    method: 'POST',
    url: '/submit',
    headers: { ...auth, 'content-type': GZIP },
    payload: Buffer.alloc(21 * 1024 * 1024, 1),
  });
  add({
    what: '/submit upload overwrite=maybe',
    method: 'POST',
    url: '/submit?overwrite=maybe',
    headers: { ...auth, 'content-type': GZIP },
    payload: valid,
  });
  add({
    what: '/submit upload overlong name',
    method: 'POST',
    url: `/submit?name=${'n'.repeat(400)}`,
    headers: { ...auth, 'content-type': GZIP },
    payload: valid,
  });
  add({
    what: '/submit upload repeated overwrite',
    method: 'POST',
    url: '/submit?overwrite=true&overwrite=false',
    headers: { ...auth, 'content-type': GZIP },
    payload: valid,
  });

  // Workflow-name routes.
  for (const [why, name] of BAD_NAMES) {
    add({ what: `/status/${why}`, method: 'GET', url: `/status/${name}`, headers: auth });
    add({ what: `/output/${why}`, method: 'GET', url: `/output/${name}`, headers: auth });
    add({ what: `/runs/${why}`, method: 'GET', url: `/runs/${name}`, headers: auth });
    add({ what: `/runs/${why}/logs`, method: 'GET', url: `/runs/${name}/logs`, headers: auth });
    add({ what: `/runs/${why}/cancel`, method: 'POST', url: `/runs/${name}/cancel`, headers: auth });
    add({ what: `/runs/${why}/resume`, method: 'POST', url: `/runs/${name}/resume`, headers: auth });
  }
  for (const body of ['{"parameters": []}', '{"parameters": {"a": {"b": 1}}}', '{"parameters": {"bad name": "x"}}', '[1]', 'null']) {
    add({
      what: `/runs/x/resume ${body.slice(0, 30)}`,
      method: 'POST',
      url: '/runs/no-such-workflow/resume',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: body,
    });
  }
  for (const query of ['node=' + 'n'.repeat(1000), 'follow=maybe', 'follow=1&follow=0', 'node=%00', 'node[]=a']) {
    add({ what: `/runs/x/logs?${query.slice(0, 30)}`, method: 'GET', url: `/runs/no-such-workflow/logs?${query}`, headers: auth });
  }
  for (const query of [
    'limit=-1',
    'limit=0',
    'limit=abc',
    'limit=100000',
    'limit=1.5',
    'offset=-5',
    'offset=1e20',
    'offset=99999999999999999999',
    'limit=1&limit=2',
    'limit=%00',
  ]) {
    add({ what: `/runs?${query}`, method: 'GET', url: `/runs?${query}`, headers: auth });
  }

  // Signed downloads: traversal and forged links.
  for (const [what, url] of [
    ['traversal', '/outputs/../../etc/passwd'],
    ['encoded traversal', '/outputs/%2e%2e/%2e%2e%2fetc%2fpasswd'],
    ['no signature', '/outputs/some-workflow/file.zip'],
    ['forged signature', '/outputs/some-workflow/file.zip?expires=9999999999&signature=forged'],
    ['expired link', '/outputs/some-workflow/file.zip?expires=1&signature=abc'],
    ['expires not a number', '/outputs/some-workflow/file.zip?expires=soon&signature=abc'],
    ['overlong signature', `/outputs/some-workflow/file.zip?expires=1&signature=${'s'.repeat(500)}`],
    ['overlong file', `/outputs/some-workflow/${'f'.repeat(400)}.zip?expires=1&signature=abc`],
    ['null byte', '/outputs/some-workflow/file%00.zip?expires=1&signature=abc'],
    ['missing file', '/outputs/some-workflow'],
  ] as const) {
    add({ what: `/outputs ${what}`, method: 'GET', url });
  }

  // Unknown routes and wrong methods.
  for (const url of [
    '/nope',
    '/admin',
    '/.env',
    '/../../etc/passwd',
    '/api/v1/workflows/qgnet',
    '/token/',
    '/%',
    '/' + 'x'.repeat(3000),
    '/openapi.json/../token',
  ]) {
    add({ what: `unknown ${url.slice(0, 40)}`, method: 'GET', url, headers: auth });
  }
  for (const [method, url] of [
    ['DELETE', '/version'],
    ['PUT', '/submit'],
    ['PATCH', '/user'],
    ['POST', '/status/abc'],
    ['GET', '/runs/abc/cancel'],
    ['DELETE', '/health/ready'],
    ['POST', '/version'],
  ] as const) {
    add({ what: `${method} ${url}`, method, url, headers: auth });
  }
  return out;
}
