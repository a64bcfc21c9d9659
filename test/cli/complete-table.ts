/** The completion engine's table (words after `fab` -> exactly what is offered), shared by complete.test.ts
 * and complete-awk.test.ts, which checks that the shells' awk path answers the same. */
import { expect } from 'vitest';
import type { Completion, CompletionModel } from '../../lib/cli/complete.js';

export const model: CompletionModel = {
  tasks: [
    {
      name: 'app.deploy',
      shortName: 'deploy',
      args: [
        { name: 'env', kind: 'choice', required: true, choices: ['staging', 'production'] },
        { name: 'mode', kind: 'choice', required: false, choices: ['fast', 'safe'] },
        { name: 'dryRunFirst', kind: 'boolean', required: false },
      ],
    },
    { name: 'app.status', shortName: 'status', args: [] },
    { name: 'db.status', shortName: 'status', args: [] },
    { name: 'db.backup', shortName: 'backup', args: [{ name: 'keep', kind: 'number', required: false }] },
  ],
  hostSets: [
    { name: 'stage', hosts: ['web1', 'web2', 'db1'], roles: ['web', 'db'] },
    { name: 'edge', hosts: ['lb1'], roles: ['lb'] },
  ],
  runIds: ['20261122T002532-a2d04f', '20261123T101010-bbbbbb'],
};

export const tasks = ['app.deploy', 'app.status', 'backup', 'db.backup', 'db.status', 'deploy'];

// words after `fab` (the last is being completed) -> exactly what is offered.
export const table: [string, string[], Completion][] = [
  [
    'sets, tasks (short and file.task; an ambiguous short name only in full) and commands',
    [''],
    {
      words: [
        'app.deploy',
        'app.status',
        'backup',
        'completion',
        'db.backup',
        'db.status',
        'deploy',
        'edge',
        'resume',
        'runs',
        'stage',
      ],
    },
  ],
  ['fab completion SHELL', ['completion', ''], { words: ['bash', 'fish', 'zsh'] }],
  ['fab resume RUN_ID', ['resume', '2026112'], { words: ['20261122T002532-a2d04f', '20261123T101010-bbbbbb'] }],
  ['nothing after fab resume RUN_ID', ['resume', '20261122T002532-a2d04f', ''], { words: [] }],
  ['prefix', ['d'], { words: ['db.backup', 'db.status', 'deploy'] }],
  ['commands only as the first word', ['stage', 'r'], { words: [] }],
  ['a set given is not offered again; tasks still are', ['stage', ''], { words: ['edge', ...tasks].sort() }],
  ['after a task, no host sets', ['backup', 'e'], { words: [] }],
  ['fab options', ['--hi'], { words: ['--hide'] }],
  [
    'a lone dash is the start of an option',
    ['-'],
    { words: expect.arrayContaining(['--hosts', '--roles', '--list']) as unknown as string[] },
  ],
  ['--arg names of the task being typed, before fab options', ['deploy', 'staging', '--m'], { words: ['--mode'] }],
  ['boolean args in kebab case', ['deploy', '--dry'], { words: ['--dry-run', '--dry-run-first'] }],
  ['an arg already given is not offered again', ['deploy', '--mode', 'fast', '--mo'], { words: [] }],
  ['values of a choice arg after --arg', ['deploy', '--mode', ''], { words: ['fast', 'safe'] }],
  ['values of a choice arg as --arg=', ['deploy', '--mode=s'], { words: ['--mode=safe'] }],
  ['a required choice positional', ['deploy', ''], { words: ['production', 'staging'] }],
  ['the next positional choice, then tasks', ['deploy', 'staging', ''], { words: ['fast', 'safe', ...tasks].sort() }],
  ['a task name is a positional while a required arg is missing', ['deploy', 'st'], { words: ['staging'] }],
  ['hosts after -H: the selected set only', ['stage', '-H', 'w'], { words: ['web1', 'web2'] }],
  ['hosts after -H without a set: every set', ['-H', ''], { words: ['db1', 'lb1', 'web1', 'web2'] }],
  [
    'a comma list completes its last item, skipping those given',
    ['stage', '-H', 'web1,'],
    { words: ['web1,db1', 'web1,web2'] },
  ],
  ['hosts after -x and --exclude-hosts=', ['stage', '--exclude-hosts=d'], { words: ['--exclude-hosts=db1'] }],
  ['hosts glued to -H', ['edge', '-Hl'], { words: ['-Hlb1'] }],
  ['roles after -R', ['stage', '-R', ''], { words: ['db', 'web'] }],
  ['roles after a bundle ending in R', ['edge', '-PR', ''], { words: ['lb'] }],
  [
    'output groups after --hide',
    ['--hide', 'running,st'],
    { words: ['running,status', 'running,stderr', 'running,stdout'] },
  ],
  ['task names after -d', ['-d', 'app.'], { words: ['app.deploy', 'app.status'] }],
  ['file names after -f, -i, --ssh-config', ['-f', ''], { words: [], files: true }],
  ['no values for a number option', ['-z', ''], { words: [] }],
  ['an option value is not a task', ['-u', 'dep'], { words: [] }],
  ['nothing after --', ['-H', 'web1', '--', 'ls', ''], { words: [] }],
  ["Fabric's task:name=", ['deploy:m'], { words: ['deploy:mode='], nospace: true }],
  ["Fabric's task:name=choice", ['deploy:staging,mode=f'], { words: ['deploy:staging,mode=fast'] }],
  ['an unknown task word completes nothing', ['nope:'], { words: [] }],
];
