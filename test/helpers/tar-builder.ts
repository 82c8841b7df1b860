import { gzipSync } from 'node:zlib';

/** One entry of a hand-built tar: type '0' file, '5' directory, '2' symlink, '1' hard link. */
export interface TarEntry {
  name: string;
  type?: '0' | '5' | '2' | '1';
  content?: string | Buffer;
  linkname?: string;
}

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value.slice(0, length), offset, length, 'utf8');
}

/**
 * Builds a gzipped ustar archive byte by byte, so tests can produce archives
 * that well-behaved tools refuse to write (absolute names, `..`, escaping links).
 */
export function buildTarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? (entry.name.endsWith('/') ? '5' : '0');
    const body = type === '0' ? Buffer.from(entry.content ?? '') : Buffer.alloc(0);
    const header = Buffer.alloc(512);
    field(header, 0, 100, entry.name);
    field(header, 100, 8, type === '5' ? '0000755\0' : '0000644\0');
    field(header, 108, 8, '0000000\0');
    field(header, 116, 8, '0000000\0');
    field(header, 124, 12, `${body.length.toString(8).padStart(11, '0')}\0`);
    field(header, 136, 12, '14000000000\0');
    field(header, 148, 8, '        ');
    field(header, 156, 1, type);
    field(header, 157, 100, entry.linkname ?? '');
    field(header, 257, 6, 'ustar\0');
    field(header, 263, 2, '00');
    let sum = 0;
    for (const byte of header) sum += byte;
    field(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
