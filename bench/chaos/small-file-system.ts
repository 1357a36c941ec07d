import { execFile } from 'node:child_process';
import { mkdir, open, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIG_CHUNK = Buffer.alloc(4 * 1024 * 1024, 0x61);
const SMALL_CHUNK = Buffer.alloc(4096, 0x62);

/**
 * A small tmpfs the harness mounts for the service's data root, so the disk can be filled on
 * purpose (and only this one). Needs root (or CAP_SYS_ADMIN); `mount` says why not otherwise.
 */
export class SmallFileSystem {
  readonly dir: string;
  #fillers = 0;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Mounts a tmpfs of `sizeMiB` at `dir`, or returns the reason it cannot. */
  static async mount(dir: string, sizeMiB: number): Promise<SmallFileSystem | string> {
    await mkdir(dir, { recursive: true });
    if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`;
    try {
      // mode=755: the embedded PostgreSQL (run as "postgres" when we are root) must traverse it.
      await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=755`, 'chaos-tmpfs', dir]);
    } catch (error) {
      return `mount -t tmpfs failed (${((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}); run as root to include the disk-full phase`;
    }
    return new SmallFileSystem(dir);
  }

  async availableBytes(): Promise<number> {
    const stats = await statfs(this.dir);
    return stats.bavail * stats.bsize;
  }

  /** Writes filler until at most `leaveBytes` are free (or the disk is full). */
  async fillTo(leaveBytes: number): Promise<void> {
    const file = await open(path.join(this.dir, `chaos-filler-${(this.#fillers += 1)}`), 'w');
    try {
      for (;;) {
        const available = await this.availableBytes();
        if (available <= leaveBytes) return;
        const chunk = available - leaveBytes >= BIG_CHUNK.length ? BIG_CHUNK : SMALL_CHUNK;
        try {
          await file.write(chunk);
        } catch (error) {
          if ((error as { code?: string }).code === 'ENOSPC') return;
          throw error;
        }
      }
    } finally {
      await file.close();
    }
  }

  /** Writes filler until the file system answers ENOSPC: not one block left. */
  fillCompletely(): Promise<void> {
    return this.fillTo(-1);
  }

  /** Removes every filler file. */
  async free(): Promise<void> {
    for (let index = 1; index <= this.#fillers; index += 1) await rm(path.join(this.dir, `chaos-filler-${index}`), { force: true });
    this.#fillers = 0;
  }

  async unmount(): Promise<void> {
    await run('umount', [this.dir]).catch(async () => {
      // Something still has a file open there (a process that outlived the run): detach lazily.
      await run('umount', ['-l', this.dir]);
    });
  }
}
