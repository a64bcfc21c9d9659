/**
 * The reverse of withSecretInput (commands/secret-input.ts) for scripted answers: the reads in front are dropped,
 * each `"$FAB_SECRET_n"` becomes its quoted value again and the value lines leave stdin, so a rule matches the
 * command as the recipe wrote it (`mysql -p'pw'`) and sees only the stdin the recipe gave.
 */
import { quote } from '../commands/quote.js';
import { NO_SECRET_EXIT } from '../commands/secret-input.js';

const READS = new RegExp(
  `^IFS= read -r (FAB_SECRET_\\d+(?: && IFS= read -r FAB_SECRET_\\d+)*) \\|\\| exit ${NO_SECRET_EXIT}; `,
);

export function unwrapSecrets(command: string, stdin: string): { command: string; stdin: string } {
  const m = READS.exec(command);
  if (!m) return { command, stdin };
  const names = m[1]!.split(' && IFS= read -r ');
  const lines = stdin.split('\n');
  const values = new Map(names.map((name, i) => [name, lines[i] ?? '']));
  // One pass, so a value that looks like a variable stays as it is.
  const body = command.slice(m[0].length).replace(/"\$(FAB_SECRET_\d+)"/g, (w, n: string) => {
    const v = values.get(n);
    return v === undefined ? w : quote(v);
  });
  return { command: body, stdin: lines.slice(names.length).join('\n') };
}
