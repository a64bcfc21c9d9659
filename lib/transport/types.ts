/**
 * One interface for every way of running a command on a host: ssh (ssh2), local (execa),
 * and test doubles in the unit tests. Quoting, sudo and scoping happen above it.
 */

export interface ExecResult {
  code: number | null;
  signal: string | null;
}

/** A started command: its stdin can be written and closed; `done` resolves when it exits. */
export interface RemoteProcess {
  write(data: string | Buffer): void;
  end(): void;
  /** Stop it (closes the channel / kills the process). */
  kill(): void;
  readonly done: Promise<ExecResult>;
}

export interface ExecOptions {
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  /** Run under a pseudo-terminal: stdout and stderr arrive merged on onStdout, input is not echoed. */
  pty?: boolean;
}

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  isDirectory: boolean;
}

/** Called as bytes move: `done` of `total` so far. */
export type Progress = (done: number, total: number) => void;

export interface PutFileOptions {
  mode?: number;
  onProgress?: Progress;
  /**
   * Stops the upload (Ctrl-C) with InterruptedError. putStream: the host keeps no temp file and the old target;
   * put (SFTP, which writes in place): the target may be left part-written.
   */
  signal?: AbortSignal;
}

export interface GetFileOptions {
  onProgress?: Progress;
  /** Stops the download (Ctrl-C): it rejects, and neither the local file nor a temp file is left. */
  signal?: AbortSignal;
}

/** Where an SSH transport really connects, for tools that open their own ssh (rsync -e). */
export interface SshEndpointInfo {
  host: string;
  port: number;
  user: string;
  keys: readonly string[];
  knownHosts: readonly string[];
  jump?: string;
}

export interface Transport {
  readonly kind: 'ssh' | 'local' | 'scripted' | 'fake';
  /** SSH transports: the resolved endpoint (after ssh_config and the command line). */
  readonly endpoint?: SshEndpointInfo;
  /** Start `command` (a full shell command line, already quoted) and return at once. */
  exec(command: string, opts: ExecOptions): Promise<RemoteProcess>;
  /** Streams a file up (bounded memory); resolves with the bytes sent. */
  put(localPath: string, remotePath: string, opts?: PutFileOptions): Promise<number>;
  get(remotePath: string, localPath: string, opts?: GetFileOptions): Promise<number>;
  /**
   * SSH transports that can: a small file (`data` in memory) written, size-checked and chmodded in one command;
   * into `remotePath/<intoDir>` when `remotePath` is a directory. Resolves with the path written.
   */
  putSmall?(data: Buffer, remotePath: string, opts?: { mode?: number; intoDir?: string }): Promise<string>;
  /**
   * SSH transports that can: one file streamed into a temp file beside `remotePath` by one command, size-checked
   * and renamed into place; into `remotePath/<intoDir>` when that is a directory. undefined: the command path
   * does not apply here (nothing was written), use put.
   */
  putStream?(
    localPath: string,
    remotePath: string,
    opts?: PutFileOptions & { intoDir?: string },
  ): Promise<{ remote: string; bytes: number } | undefined>;
  readFile(remotePath: string): Promise<Buffer>;
  writeFile(remotePath: string, data: string | Buffer, opts?: { mode?: number }): Promise<void>;
  /** undefined when the path does not exist. */
  stat(remotePath: string): Promise<FileStat | undefined>;
  /** An interactive login shell on a pty of this size (SSH transports only). */
  shell?(opts: ShellOptions): Promise<ShellSession>;
  close(): Promise<void>;
}

export interface ShellOptions {
  rows: number;
  cols: number;
  term: string;
  /** The terminal's output (stdout and stderr, as a terminal has one). */
  onData(chunk: Buffer): void;
}

export interface ShellSession {
  write(data: string | Buffer): void;
  /** The local terminal changed size. */
  resize(rows: number, cols: number): void;
  readonly done: Promise<ExecResult>;
}
