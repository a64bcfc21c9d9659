import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FabError, UsageError, errorMessage } from '../errors.js';
import { findFabfiles, findTask, loadRegistry, requireTask, taskNames, type Registry } from '../registry/load.js';
import type { Interrupts } from '../run/interrupt.js';
import { EventBus } from '../report/events.js';
import { applyConfig, loadConfig } from '../config/config.js';
import { explicitOptions, parseArgv, preScan, type Invocation, type ParseContext, type TaskInfo } from './argv.js';
import { parseSetOption } from './fabric-grammar.js';
import { describeText, listText } from './help.js';
import { contextHelp, helpRequested } from './help-anywhere.js';
import { helpText } from '../config/options.js';
import { checkOptions } from './option-checks.js';
import { makePlan } from './plan.js';
import { confirmGuards } from './guards.js';
import { listJson, shortlist } from './list-json.js';
import { Prompts } from '../run/prompts.js';
import { runPlanOptions } from './run-options.js';
import { libDir } from '../util/lib-dir.js';

export interface MainIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdinIsTTY: boolean;
  stdoutIsTTY?: boolean;
  /** Ctrl-C, in steps (see exec/interrupt.ts). */
  interrupts: Interrupts;
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(join(libDir(), '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function parseContext(reg: Registry): ParseContext {
  return {
    isHostSet: (w) => reg.hostSets.has(w),
    findTask: (name): TaskInfo | undefined => {
      const t = findTask(reg, name);
      if (!t) return undefined;
      const args = Object.entries(t.spec.args ?? {}).map(([n, s]) => ({
        name: n,
        boolean: s.kind === 'boolean',
        required: !s.hasDefault,
      }));
      return { name: t.name!, args };
    },
    names: () => [...taskNames(reg), ...reg.hostSets.keys()],
  };
}

/**
 * An ad-hoc `fab SET -- cmd` needs only host sets: try that first; if the words name tasks,
 * load the fabfiles too and parse again.
 */
async function load(argv: string[], cwd: string, fabfile: string[]): Promise<{ reg: Registry; inv: Invocation }> {
  const informational = argv.some((a) => /^-(l|d|-list|-shortlist|-display)(=|$)/.test(a));
  if (argv.includes('--') && !informational) {
    const hostsOnly = await loadRegistry(cwd, fabfile, { hostsOnly: true });
    try {
      const inv = parseArgv(argv, parseContext(hostsOnly));
      if (!inv.tasks.length) return { reg: hostsOnly, inv };
    } catch {
      /* a word may be a task: load everything */
    }
  }
  const reg = await loadRegistry(cwd, fabfile);
  return { reg, inv: parseArgv(argv, parseContext(reg)) };
}

/**
 * load -> parse -> plan -> execute -> report; returns the exit code (0 ok, 1 a task failed, 2 bad input,
 * 130 interrupted).
 */
export async function main(argv: string[], io: MainIO, resume?: string): Promise<number> {
  try {
    if (argv[0] === 'completion')
      return (io.stdout((await import('./completion-scripts.js')).completionScript(argv[1])), 0);
    if (argv[0] === '__complete')
      return (
        io.stdout(await (await import('./complete-command.js')).completeCommand(argv.slice(1), io.cwd, io.env)),
        0
      );
    const pre = preScan(argv);
    if (pre.version) return (io.stdout(`fab ${version()}\n`), 0);
    if (pre.help) return (io.stdout(`${helpText(version())}\n`), 0);
    // -h/--help anywhere (before --) shows help and runs nothing, whatever else the line says.
    if (helpRequested(argv)) {
      if (argv[0] === 'runs' || argv[0] === 'resume') return (io.stdout(`${helpText(version())}\n`), 0);
      const reg = await loadRegistry(io.cwd, pre.fabfile);
      return (io.stdout(`${await contextHelp(reg, argv, parseContext(reg), io.cwd, version())}\n`), 0);
    }
    if (argv[0] === 'runs' || argv[0] === 'resume') {
      const { runsCommand, resumeArgv } = await import('./runs.js');
      const root = findFabfiles(io.cwd, []).root ?? io.cwd;
      if (argv[0] === 'runs' && argv[1] === '--merge') {
        const { journalFiles, mergeRuns, mergeText } = await import('../rolling/merge.js');
        const { summarizeRun } = await import('../rolling/journal.js');
        const merged = mergeRuns(journalFiles(argv.slice(2)).map(summarizeRun));
        return (io.stdout(mergeText(merged)), merged.ok ? 0 : 1);
      }
      if (argv[0] === 'runs') return (io.stdout(runsCommand(root)), 0);
      const again = resumeArgv(root, argv[1]);
      io.stderr(`fab: resuming run ${argv[1]}: fab ${again.join(' ')}\n`);
      return main(again, io, argv[1]);
    }
    if (argv.length === 1 && argv[0] === '--persist-stop') {
      const { stopPersistent } = await import('../transport/openssh-connect.js');
      const { stopAgent } = await import('../transport/agent/start.js');
      const closed = (await stopPersistent()) + (await stopAgent());
      return (io.stdout(`closed ${closed} kept connection(s)\n`), 0);
    }
    const { reg, inv } = await load(argv, io.cwd, pre.fabfile);
    // cli > FAB_* > project config > user config > defaults (lib/config/config.ts).
    const configured = applyConfig(inv.options, explicitOptions(inv.options), loadConfig(reg.root ?? io.cwd, io.env));
    const opts = (inv.options = configured.options);
    // Every source of option values (command line, FAB_*, config files) goes through the same checks.
    checkOptions(opts);
    if (opts.persistStop)
      throw new UsageError('--persist-stop is a command of its own', 'run fab --persist-stop alone');
    if (opts.shortlist) return (io.stdout(shortlist(reg)), 0);
    if (opts.list && opts.json) return (io.stdout(`${JSON.stringify(await listJson(reg, io.cwd))}\n`), 0);
    if (opts.list) return (io.stdout(`${listText(reg, io.cwd, pre.fabfile)}\n`), 0);
    if (opts.display) return (io.stdout(`${describeText(requireTask(reg, opts.display), io.cwd)}\n`), 0);
    if (!inv.tasks.length && inv.command === undefined && !opts.shell) {
      throw new UsageError(
        'nothing to do: no task and no command',
        'fab --list shows the tasks; fab -H HOST -- CMD runs a command',
      );
    }
    const plan = await makePlan(reg, inv);
    if (Object.keys(configured.settings).length) {
      // Config settings are defaults: the host set's own settings and --set win over them.
      for (const h of new Set([...plan.pool, ...plan.steps.flatMap((s) => s.hosts)]))
        h.settings = { ...configured.settings, ...h.settings };
    }
    const settingsOverrides = Object.assign({}, ...opts.set.map(parseSetOption)) as Record<string, string>;

    const events = new EventBus();
    let password = io.env.FAB_SUDO_PASSWORD;
    if (opts.sudoPassword) {
      if (!io.stdinIsTTY || opts.abortOnPrompts)
        throw new UsageError(
          '--sudo-password needs a terminal to ask on',
          'set FAB_SUDO_PASSWORD in the environment instead',
        );
      password = await (await import('./prompt.js')).askHidden('sudo password: ');
    }
    if (password) events.addSecret(password);
    const { consoleSink, jsonSink, visibleGroups } = await import('../report/console.js');
    events.subscribe(
      opts.json
        ? jsonSink(io.stdout)
        : consoleSink({
            color: opts.color,
            groups: visibleGroups(opts.hide, opts.show),
            write: io.stdout,
            live: io.stdoutIsTTY === true,
            safe: io.stdoutIsTTY === true && !opts.rawOutput,
          }),
    );

    const interactive = io.stdinIsTTY && !opts.abortOnPrompts;
    const ask = interactive ? await import('./prompt.js') : undefined;
    const prompts = new Prompts({
      ...(ask ? { ask: (q: string, hidden: boolean) => (hidden ? ask.askHidden(q) : ask.askLine(q)) } : {}),
      yes: opts.yes,
      answers: settingsOverrides,
      secret: (v) => events.addSecret(v),
      say: io.stderr,
    });
    // A dry run changes nothing, so its guards are not asked.
    if (!opts.dryRun) await confirmGuards(plan, prompts);

    const credentials = await (
      await import('./login.js')
    ).loginCredentials(opts, io.env, interactive, (v) => events.addSecret(v));
    const { runPlan } = await import('../exec/run-plan.js');
    const result = await runPlan(
      plan,
      runPlanOptions(opts, {
        events,
        prompts,
        credentials,
        password,
        settingsOverrides,
        root: reg.root ?? io.cwd,
        argv,
        resume,
        env: io.env,
        interrupts: io.interrupts,
      }),
    );
    return result.exitCode;
  } catch (err) {
    if (err instanceof FabError) {
      io.stderr(`fab: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr(`fab: internal error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`);
    return 1;
  }
}
