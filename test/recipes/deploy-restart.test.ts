// The switch of `current` and the restart after it, on a scripted web host: a run stopped between the two (a second
// Ctrl-C) must not leave the old release running behind a `current` that names the new one.
import { describe, expect, it } from 'vitest';
import { RESTART_PENDING, RESTART_PENDING_SAID } from '../../lib/commands/release.js';
import { deployArtifact, type Artifact } from '../../lib/recipes/deploy.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask, type SeenCommand } from '../../lib/testing/index.js';

const SHA = 'a'.repeat(64);
const ART: Artifact = { kind: 'tarball', path: '/nonexistent/app-v7.tgz', version: 'v7', sha256: SHA };
const RESTART = 'restart-the-app';
const has = (s: string) => (c: SeenCommand) => c.command.includes(s);
const deploy = task({}, (ctx) => deployArtifact(ctx, ART));

/** A host where release v7 is unpacked already (its marker says SHA) and `current` is `readCurrent`'s answer. */
function webHost(readCurrent: string): ScriptedTransport {
  return new ScriptedTransport('web1')
    .on(has('mkdir -p -- /srv/app/releases /srv/app/shared'))
    .on(has('/srv/app/releases/v7/.fab-release'), { stdout: `${SHA}\n` })
    .on(has(`readlink -- /srv/app/current; [ ! -e /srv/app/${RESTART_PENDING} ]`), { stdout: readCurrent })
    .on(has('readlink -- /srv/app/previous'), { stdout: 'releases/v6\n' })
    .on(has('ln -sfn -- releases/'))
    .on(RESTART)
    .on(has('ls -1t -- /srv/app/releases'), { stdout: 'v7\nv6\n' });
}
const run = (t: ScriptedTransport) =>
  runTask(deploy, { hosts: { web1: { transport: t, settings: { appRestart: RESTART } } } });
const commands = (t: ScriptedTransport) => t.commands.map((c) => c.command);

describe('deploy: the restart after a switch of current', () => {
  it('marks the restart pending where it switches current, and clears the mark only after the restart', async () => {
    const t = webHost('releases/v6\n');
    const r = await run(t);
    expect(r.exitCode).toBe(0);
    t.verify();
    const cmds = commands(t);
    const sw = cmds.findIndex((c) => c.includes('.current.tmp'));
    expect(cmds[sw]).toMatch(
      new RegExp(`: > ${RESTART_PENDING.replace('.', '\\.')} && ln -sfn -- releases/v7 .current.tmp`),
    );
    const restart = cmds.indexOf(RESTART);
    const cleared = cmds.findIndex((c) => c.includes(`rm -f -- /srv/app/${RESTART_PENDING}`));
    expect(sw).toBeGreaterThan(-1);
    expect(restart).toBeGreaterThan(sw);
    expect(cleared).toBeGreaterThan(restart);
    expect(r.value('web1')).toMatchObject({ unpacked: false, switched: true });
  });

  it('restarts a release that is current already when an earlier run never finished its restart', async () => {
    const t = webHost(`releases/v7\n${RESTART_PENDING_SAID}\n`);
    const r = await run(t);
    expect(r.exitCode).toBe(0);
    t.verify();
    const cmds = commands(t);
    expect(cmds).toContain(RESTART);
    expect(cmds.findIndex((c) => c.includes(`rm -f -- /srv/app/${RESTART_PENDING}`))).toBeGreaterThan(
      cmds.indexOf(RESTART),
    );
    // `previous` is left as it was: it still names the release before v7.
    expect(cmds.some((c) => c.includes('.previous.tmp'))).toBe(false);
  });

  it('does nothing when the release is current and its restart was done', async () => {
    const t = webHost('releases/v7\n');
    const r = await run(t);
    expect(r.exitCode).toBe(0);
    t.verify();
    expect(commands(t)).not.toContain(RESTART);
    expect(commands(t).some((c) => c.includes('ln -sfn'))).toBe(false);
    expect(r.value('web1')).toMatchObject({ unpacked: false, switched: false });
  });
});
