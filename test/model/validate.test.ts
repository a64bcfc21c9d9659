import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.js';
import { arg } from '../../lib/model/args.js';
import { validateArgDefaults } from '../../lib/model/validate.js';

/** What validateArgDefaults throws for these arguments (undefined: nothing). */
const thrown = (args: Parameters<typeof validateArgDefaults>[2]): UsageError | undefined => {
  try {
    validateArgDefaults('fabfiles/deploy.ts', 'deploy.go', args);
  } catch (e) {
    return e as UsageError;
  }
  return undefined;
};

describe('validateArgDefaults', () => {
  it('accepts defaults of the declared type', () => {
    expect(thrown({ n: arg.number({ default: 3 }), c: arg.choice(['a', 'b'], { default: 'b' }) })).toBeUndefined();
  });

  it('names the file, task, argument and both types, and the fix', () => {
    const e = thrown({ n: arg.number({ default: 'abc' as unknown as number }) });
    expect(e).toBeInstanceOf(UsageError);
    expect(e?.message).toBe(
      'fabfiles/deploy.ts: task deploy.go: argument "n" is declared number but its default is the string "abc"\n' +
        '  fix: make the default a number, e.g. { default: 3 }, or declare the argument as arg.string()',
    );
    expect(thrown({ c: arg.choice(['a', 'b'], { default: 7 as unknown as 'a' }) })?.fix).toBe(
      'make the default one of "a", "b", e.g. { default: "a" }, or declare the argument as arg.number()',
    );
  });
});
