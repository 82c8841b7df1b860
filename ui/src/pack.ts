// Packs a folder chosen with <input webkitdirectory> as the tar.gz the CLI uploads: entries
// under "./", regular files and directories only, gzip through the browser's CompressionStream.
// Hand-written: the CLI's `tar` package is built on Node streams and Buffers, and the page needs only
// ustar headers for regular files and directories (long paths split into prefix and name).

const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
/** Files and folders a staged recipe may hold (the service's limit, src/recipe/sources/limits.ts). */
const MAX_ENTRIES = 1000;

export class PackError extends Error {}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: '0' | '5', mtime: number): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  let path: Uint8Array = enc.encode(name);
  let prefix: Uint8Array = new Uint8Array(0);
  if (path.length > 100) {
    // ustar splits a long path at a slash into a prefix (155 bytes) and a name (100 bytes).
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = enc.encode(name.slice(0, cut));
    path = enc.encode(name.slice(cut + 1));
    if (cut < 0 || prefix.length > 155 || path.length > 100) throw new PackError(`${name}: the path is too long to pack`);
  }
  const h = new Uint8Array(512);
  const put = (offset: number, bytes: Uint8Array | string) => h.set(typeof bytes === 'string' ? enc.encode(bytes) : bytes, offset);
  put(0, path);
  put(100, octal(type === '5' ? 0o755 : 0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(size, 12));
  put(136, octal(Math.floor(mtime / 1000), 12));
  put(148, '        ');
  put(156, type);
  put(257, 'ustar\0');
  put(263, '00');
  put(345, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** The files of the chosen folder with paths relative to it; refuses what the service would refuse, before any upload. */
export function recipeFiles(files: File[]): Array<{ path: string; file: File }> {
  if (files.length === 0) throw new PackError('The folder is empty.');
  let total = 0;
  const out = files.map((file) => {
    const rel = (file.webkitRelativePath || file.name).split('/').slice(1).join('/') || file.name;
    if (rel.split('/').some((part) => part === '..' || part === '')) throw new PackError(`${rel}: not a plain path inside the folder`);
    total += file.size;
    return { path: rel, file };
  });
  const dirs = new Set(
    out.flatMap(({ path }) =>
      path
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
    ),
  );
  if (out.length + dirs.size > MAX_ENTRIES)
    throw new PackError(`The folder holds ${out.length} files and ${dirs.size} folders; a recipe may hold at most ${MAX_ENTRIES} in all.`);
  if (total > MAX_UPLOAD_BYTES)
    throw new PackError(`The folder holds ${(total / 1048576).toFixed(1)} MiB; uploads are limited to ${MAX_UPLOAD_BYTES / 1048576} MiB.`);
  return out;
}

export async function packFolder(files: Array<{ path: string; file: File }>): Promise<Blob> {
  const parts: BlobPart[] = [header('./', 0, '5', Date.now())];
  const dirs = new Set<string>();
  for (const { path, file } of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = `./${segments.slice(0, i).join('/')}/`;
      if (!dirs.has(dir)) {
        dirs.add(dir);
        parts.push(header(dir, 0, '5', file.lastModified));
      }
    }
    parts.push(header(`./${path}`, file.size, '0', file.lastModified), file);
    const pad = (512 - (file.size % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  const gz = new Blob(parts).stream().pipeThrough(new CompressionStream('gzip'));
  const packed = await new Response(gz).blob();
  if (packed.size > MAX_UPLOAD_BYTES)
    throw new PackError(
      `The packed folder is ${(packed.size / 1048576).toFixed(1)} MiB; uploads are limited to ${MAX_UPLOAD_BYTES / 1048576} MiB.`,
    );
  return packed;
}
