// editFile's compare-and-swap and validation paths, on a scripted host (the commit script itself runs in the lab tests).
import { describe, expect, it } from 'vitest';
import { FileEditError } from '../../lib/errors.js';
import { EXIT } from '../../lib/files/commit-script.js';
import { sed } from '../../lib/task/dsl.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask, type SeenCommand } from '../../lib/testing/index.js';

const CONF = '/etc/app.conf';
const edit = task({}, () => sed(CONF, 'port=80', 'port=8080', { validate: 'app --check %s' }));
const isCommit = (c: SeenCommand) => c.command.startsWith('sh -c ');

function hostWith(text: string): ScriptedTransport {
  const t = new ScriptedTransport('web1');
  t.files.set(CONF, { data: Buffer.from(text), mode: 0o644 });
  return t;
}
/** The content each commit carried on its stdin (no separate upload without sudo: it rides with the script). */
const uploads = (t: ScriptedTransport) => t.commands.filter(isCommit).map((c) => c.stdin);

describe('editFile on a scripted host', () => {
  it('uploads the edited text and commits it once, with the hash it read and the validator', async () => {
    const web1 = hostWith('host=a\nport=80\n').once(isCommit);
    const r = await runTask(edit, { hosts: { web1 } });
    expect(r.exitCode).toBe(0);
    web1.verify();
    expect(uploads(web1)).toEqual(['host=a\nport=8080\n']);
    expect([...web1.files.keys()]).toEqual([CONF]); // nothing uploaded beside it
    const commit = web1.commands.find(isCommit)!.command;
    expect(commit).toContain('app --check');
    expect(r.value('web1')).toMatchObject({ changed: true, matched: 1, path: CONF });
  });

  it('reads again and re-applies the edit when another writer changed the file in between (compare-and-swap)', async () => {
    const web1 = hostWith('port=80\n');
    let commits = 0;
    web1.on(isCommit, () => {
      commits++;
      if (commits === 1) {
        // Someone else edits the file after our read: the script sees another hash and refuses.
        web1.files.set(CONF, { data: Buffer.from('# tuned by ops\nport=80\n'), mode: 0o644 });
        return { code: EXIT.changed };
      }
      return {};
    });
    const r = await runTask(edit, { hosts: { web1 } });
    expect(r.exitCode).toBe(0);
    expect(commits).toBe(2);
    expect(uploads(web1).sort()).toEqual(['# tuned by ops\nport=8080\n', 'port=8080\n']);
  });

  it("gives up after three changed reads, keeping the other writer's change", async () => {
    const web1 = hostWith('port=80\n').on(isCommit, { code: EXIT.changed });
    const r = await runTask(edit, { hosts: { web1 } });
    expect(r.exitCode).toBe(1);
    expect(web1.commands.filter(isCommit)).toHaveLength(3);
    expect(r.error('web1')).toBeInstanceOf(FileEditError);
    expect(r.error('web1')!.message).toMatch(/kept changing while we edited it \(3 attempts\)/);
  });

  it("reports a failed validation with the validator's words and commits nothing else", async () => {
    const web1 = hostWith('port=80\n').once(isCommit, { code: EXIT.invalid, stderr: 'line 1: port 8080 is taken\n' });
    const r = await runTask(edit, { hosts: { web1 } });
    expect(r.exitCode).toBe(1);
    web1.verify();
    expect(r.error('web1')!.message).toMatch(
      /validation failed \(app --check %s\); the original is kept:\n\s+line 1: port 8080 is taken/,
    );
  });

  it('changes nothing and runs no command when nothing matches', async () => {
    const web1 = hostWith('port=9090\n');
    const r = await runTask(edit, { hosts: { web1 } });
    expect(r.exitCode).toBe(0);
    expect(web1.commands).toEqual([]);
    expect(r.value('web1')).toMatchObject({ changed: false });
  });
});
