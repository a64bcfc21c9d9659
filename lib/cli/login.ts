import { secret } from '../commands/quote.js';
import { UsageError } from '../errors.js';
import type { FabOptions } from '../config/options.js';
import { Credentials } from '../transport/credentials.js';

/**
 * The run's login password and key passphrases: FAB_PASSWORD / FAB_KEY_PASSPHRASE, -I's answer asked
 * up front, or (on a terminal) asked once when first needed. Every value is registered as a secret.
 */
export async function loginCredentials(
  opts: FabOptions,
  env: NodeJS.ProcessEnv,
  interactive: boolean,
  addSecret: (v: string) => void,
): Promise<Credentials> {
  let password = env.FAB_PASSWORD || undefined;
  const ask = interactive ? (await import('./prompt.js')).askHidden : undefined;
  if (opts.initialPasswordPrompt) {
    if (!ask)
      throw new UsageError(
        '-I/--initial-password-prompt needs a terminal to ask on',
        'set FAB_PASSWORD in the environment instead',
      );
    password = await ask('login password: ');
  }
  if (opts.password && password === undefined && !ask) {
    throw new UsageError(
      '-p/--password needs a terminal to ask for the login password on',
      'set FAB_PASSWORD in the environment instead',
    );
  }
  const passphrase = env.FAB_KEY_PASSPHRASE || undefined;
  for (const v of [password, passphrase]) if (v) addSecret(v);
  return new Credentials({
    passwordAuth: opts.password || opts.initialPasswordPrompt || password !== undefined,
    ...(password !== undefined ? { password: secret(password) } : {}),
    ...(passphrase ? { keyPassphrase: secret(passphrase) } : {}),
    ...(ask ? { ask } : {}),
    addSecret,
  });
}
