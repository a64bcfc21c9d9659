import { readFile, stat } from 'node:fs/promises';

/**
 * A file read and parsed once per version (size, mtime, inode), shared by every connection of a run: a fan-out
 * to N hosts otherwise reads and parses the same known_hosts and key files N times. A changed file is re-read;
 * a missing one gives undefined.
 */
export class FileCache<T> {
  private readonly files = new Map<string, { stamp: string; value: Promise<T | undefined> }>();

  constructor(private readonly parse: (data: Buffer, file: string) => T) {}

  async get(file: string): Promise<T | undefined> {
    let stamp: string;
    try {
      const st = await stat(file);
      stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const hit = this.files.get(file);
    if (hit?.stamp === stamp) return hit.value;
    const value = readFile(file).then(
      (data) => this.parse(data, file),
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      },
    );
    this.files.set(file, { stamp, value });
    // A failed read is not remembered: the next connection tries again and reports its own error.
    value.catch(() => this.files.delete(file));
    return value;
  }
}
