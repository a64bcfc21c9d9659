import { readFile, stat } from 'node:fs/promises';
import type { AnyAuthMethod, AuthenticationType, BaseAgent, ParsedKey, Prompt } from 'ssh2';
import { ConnectError } from '../errors.js';
import { FileCache } from '../util/file-cache.js';
import { withKeyObject } from './ssh-key.js';
import { OpenSSHAgent, parseKey } from './ssh2-parts.js';
import type { Credentials } from './credentials.js';
import { describeEndpoint, type SshEndpoint } from './endpoint.js';

type Step = () => Promise<AnyAuthMethod | undefined>;

// Read and parsed once per run, not once per host (ssh2 takes the parsed key as it is).
const keyFiles = new FileCache((data) => {
  const plain = parseKey(data);
  return { data, plain: plain instanceof Error ? plain : withKeyObject(plain) };
});

/** An agent that offers only the keys given as identities (IdentitiesOnly yes with an agent). */
class OnlyTheseKeys extends OpenSSHAgent {
  constructor(
    socket: string,
    private readonly allowed: Buffer[],
  ) {
    super(socket);
  }
  override getIdentities(cb: Parameters<InstanceType<typeof OpenSSHAgent>['getIdentities']>[0]): void {
    super.getIdentities((err, keys) => {
      if (err || !keys) return cb(err, keys);
      cb(
        null,
        keys.filter((k) => this.allowed.some((a) => a.equals((k as ParsedKey).getPublicSSH()))),
      );
    });
  }
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

async function publicBlob(file: string): Promise<Buffer | undefined> {
  for (const [path, text] of [
    [`${file}.pub`, true],
    [file, false],
  ] as const) {
    try {
      const k = parseKey(await readFile(path, text ? 'utf8' : undefined));
      if (!(k instanceof Error)) return k.getPublicSSH();
    } catch {
      /* no such file: try the next */
    }
  }
  return undefined;
}

/**
 * The login methods of one connection, in OpenSSH's order: agent, key files, password,
 * keyboard-interactive. Each is prepared only when reached (a key's passphrase is asked only if
 * the agent did not already log in), and only if the server still offers that method.
 */
export class AuthPlan {
  readonly tried: string[] = [];
  /** Why we stopped early (a key nobody can unlock): reported instead of "all methods failed". */
  failure?: ConnectError;
  /** A key skipped because nobody could unlock it. */
  private locked?: ConnectError;
  private readonly steps: Array<{ method: AuthenticationType; label: string; make: Step }> = [];

  constructor(
    private readonly ep: SshEndpoint,
    private readonly creds?: Credentials,
  ) {
    const user = ep.user;
    if (ep.agent) {
      const socket = ep.agent;
      // A stale SSH_AUTH_SOCK (agent gone) is skipped, as ssh does: ssh2 would fail the whole connect on it.
      const make = async (): Promise<AnyAuthMethod | undefined> =>
        (await isSocket(socket)) ? { type: 'agent', username: user, agent: await this.agent(socket) } : undefined;
      this.steps.push({ method: 'publickey', label: 'agent', make });
    }
    for (const file of ep.keys) this.steps.push({ method: 'publickey', label: file, make: () => this.keyFile(file) });
    if (creds?.passwordAuth) {
      this.steps.push({
        method: 'password',
        label: 'password',
        make: async () => {
          const password = await creds.password(user);
          return password === undefined ? undefined : { type: 'password', username: user, password };
        },
      });
      this.steps.push({
        method: 'keyboard-interactive',
        label: 'keyboard-interactive',
        make: async () => {
          const password = await creds.password(user);
          if (password === undefined) return undefined;
          // Answer the hidden prompts (the password) once; a second round means it was wrong.
          let rounds = 0;
          const answer = (prompts: Prompt[]): string[] =>
            rounds++ ? [] : prompts.map((p) => (p.echo ? '' : password));
          return {
            type: 'keyboard-interactive',
            username: user,
            prompt: (_n, _i, _l, prompts, finish) => finish(answer(prompts)),
          };
        },
      });
    }
  }

  private async agent(socket: string): Promise<BaseAgent | string> {
    if (!this.ep.identitiesOnly) return socket;
    const blobs = (await Promise.all(this.ep.keys.map(publicBlob))).filter((b): b is Buffer => b !== undefined);
    return new OnlyTheseKeys(socket, blobs);
  }

  private async keyFile(file: string): Promise<AnyAuthMethod | undefined> {
    let read: { data: Buffer; plain: ParsedKey | Error } | undefined;
    try {
      read = await keyFiles.get(file);
    } catch (err) {
      throw this.configError(`cannot read key ${file}: ${(err as Error).message}`);
    }
    if (!read) return undefined;
    const { data, plain } = read;
    if (!(plain instanceof Error)) return { type: 'publickey', username: this.ep.user, key: plain };
    if (!/passphrase|encrypted/i.test(plain.message))
      throw this.configError(`cannot use key ${file}: ${plain.message}`);
    const opens = (p: string): boolean => !(parseKey(data, p) instanceof Error);
    const given = this.creds?.givenPassphrase;
    if (given !== undefined && opens(given))
      return { type: 'publickey', username: this.ep.user, key: data, passphrase: given };
    const asked = this.creds?.passphrase(file, opens);
    if (!asked) {
      // Later methods (another key, a password) may still log in; if none does, this is the reason given.
      const why =
        given !== undefined ? 'FAB_KEY_PASSPHRASE does not unlock it' : 'no terminal to ask for its passphrase';
      const fix = 'set FAB_KEY_PASSPHRASE, add the key to ssh-agent (ssh-add), or run fab on a terminal';
      this.locked ??= this.configError(`key ${file} is passphrase-protected and ${why}`, fix);
      return undefined;
    }
    try {
      return { type: 'publickey', username: this.ep.user, key: data, passphrase: await asked };
    } catch (err) {
      throw this.configError(`key ${file}: ${(err as Error).message}`);
    }
  }

  private configError(why: string, fix?: string): ConnectError {
    return new ConnectError(this.ep.name, describeEndpoint(this.ep), fix ? `${why} (fix: ${fix})` : why, 'config');
  }

  /** ssh2's authHandler: the next method the server still accepts, or false when none is left. */
  readonly handler = (
    left: AuthenticationType[] | null,
    _partial: boolean | null,
    next: (m: AnyAuthMethod | false) => void,
  ): void => {
    void (async () => {
      while (this.steps.length) {
        const step = this.steps.shift()!;
        if (left && !left.includes(step.method)) continue;
        const method = await step.make();
        if (!method) continue;
        this.tried.push(step.label);
        return next(method);
      }
      if (this.locked) this.failure = this.locked;
      next(false);
    })().catch((err: unknown) => {
      this.failure = err instanceof ConnectError ? err : this.configError((err as Error).message);
      next(false);
    });
  };
}
