/**
 * `import { ScriptedTransport, runTask } from 'fabts/testing'`: unit-test fabfile tasks without SSH,
 * as Fabric 2's fabric.testing does. See the README's "Testing your fabfiles".
 */
export { ScriptedTransport, type Answer, type Matcher, type Reply, type SeenCommand } from './scripted.js';
export { runTask, type HostScript, type RunTaskOptions, type TaskRun } from './run-task.js';
export { unwrapSudo } from './sudo-unwrap.js';
