import { arg, deploy, gates, rolling, setLbBackend, task, UsageError, type HostTarget, type TaskContext } from 'fabts';

/**
 * Deploys, from the original notes: take a web server out of the LB, deploy the new code, run a
 * battery of tests against it, put it back, and repeat for every web server, in batches.
 * Settings: appRoot (/srv/app), appKeep (5), appShared (a;b), appRestart, appRestartSudo,
 * appHealthUrl (http://{address}:8080/health), appHealthTimeout (30 s), appTestCommand (a local
 * command run as a gate: the seed's battery of tests, with FAB_HOST set), appTestTimeout (60 s).
 */

const artifactArgs = {
  artifact: arg.string({ description: 'local .tgz (tarball), .whl (Python wheel) or .egg (Python egg)' }).optional(),
  artifactUrl: arg
    .string({ description: 'URL each host downloads the artifact from (curl or wget; needs --sha256)' })
    .optional(),
  version: arg.string({ description: 'release name (default: from the file name, app-1.2.3.tgz -> 1.2.3)' }).optional(),
  sha256: arg.string({ description: 'expected checksum (default: <artifact>.sha256 when present)' }).optional(),
};

const inspect = async (a: {
  artifact: string | undefined;
  artifactUrl: string | undefined;
  version: string | undefined;
  sha256: string | undefined;
}) => {
  if (a.artifact && a.artifactUrl) throw new UsageError('give --artifact or --artifact-url, not both');
  if (a.artifactUrl) return deploy.remoteArtifact(a.artifactUrl, a.sha256, a.version);
  if (!a.artifact)
    throw new UsageError(
      'no artifact: give --artifact FILE or --artifact-url URL --sha256 HEX',
      'see fab -d deployApp',
    );
  return deploy.inspectArtifact(a.artifact, {
    ...(a.version ? { version: a.version } : {}),
    ...(a.sha256 ? { sha256: a.sha256 } : {}),
  });
};

const install = (ctx: TaskContext, art: deploy.Artifact) => deploy.deployArtifact(ctx, art);

export const deployApp = task(
  {
    description: 'Deploy a tarball, wheel or egg to the web hosts (no LB changes)',
    roles: ['web'],
    args: artifactArgs,
  },
  async (ctx, a) => {
    const r = await install(ctx, await inspect(a));
    ctx.log(
      `release ${r.version}: ${r.unpacked ? 'unpacked' : 'already there'}, ${r.switched ? 'now current' : 'was already current'}`,
    );
    return r;
  },
);

export const rollback = task(
  {
    description: 'Switch current back to the previous release (or --to VERSION) and restart',
    roles: ['web'],
    args: { to: arg.string({ description: 'release to switch to (fab SET releases lists them)' }).optional() },
  },
  async (ctx, { to }) => {
    ctx.log(`rolled back to ${await deploy.rollbackRelease(ctx, to)}`);
  },
);

export const releases = task(
  { description: "List each host's releases: which is current and previous", roles: ['web'] },
  async (ctx) => {
    const rows = await deploy.listReleases(ctx);
    if (!rows.length) ctx.log(`no releases in ${deploy.appSettings(ctx).root}/releases`);
    for (const r of rows) ctx.log(`${r.version}${r.current ? '  (current)' : r.previous ? '  (previous)' : ''}`);
    return rows;
  },
);

export const rollingDeploy = task(
  {
    description: 'Drain, deploy, check health gates and undrain the web hosts, one batch at a time',
    roles: ['web'],
    runsOnce: true,
    args: {
      ...artifactArgs,
      batch: arg.string({ default: '1', description: 'batch sizes, e.g. 1 or 1,25%,50% (the first is the canary)' }),
      maxFailures: arg.string({ default: '0', description: 'hosts that may fail over the whole run (number or %)' }),
      onFailure: arg.choice(['halt', 'rollback'] as const, { default: 'halt' }),
      pause: arg.string({ default: '0s', description: 'pause between batches' }),
    },
  },
  async (ctx, a) => {
    const art = await inspect(a);
    const lbs = ctx.resolveHosts({ role: 'lb' });
    // Connect to the LBs while the web hosts are locked, not at the first drain (its errors show there, as before).
    for (const lb of lbs) void ctx.on(lb, (l) => l.connection()).catch(() => undefined);
    const onLbs = (host: HostTarget, enabled: boolean) =>
      Promise.all(lbs.map((lb) => ctx.on(lb, (l) => setLbBackend(l, host.name, enabled))));
    const s = ctx.settings;
    const timeout = `${s.number('appHealthTimeout', 30)}s`;
    const checks = [
      gates.http(s.string('appHealthUrl', 'http://{address}:8080/health'), { rise: 2, interval: '250ms', timeout }),
    ];
    const battery = s.string('appTestCommand', '');
    if (battery) checks.push(gates.local(battery, { interval: '1s', timeout: `${s.number('appTestTimeout', 60)}s` }));
    const size = (v: string) => (/^\d+$/.test(v) ? Number(v) : (v as `${number}%`));
    return rolling(ctx, ctx.hosts as HostTarget[], {
      batch: a.batch.split(',').map((b) => size(b.trim())),
      maxFailures: size(a.maxFailures),
      drain: (host) => onLbs(host, false),
      action: async (h) => (await install(h, art)).version,
      gates: checks,
      undrain: (host) => onLbs(host, true),
      onFailure: a.onFailure,
      rollback: (h) => deploy.rollbackRelease(h),
      pause: a.pause,
      lock: `${deploy.appSettings(ctx).root}/.fab-deploy.lock`,
      release: art.version,
    });
  },
);
