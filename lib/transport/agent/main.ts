/**
 * Entry of the background agent process (started detached by `fab --persist`): `node main.js SOCKET`.
 * Its stdio goes nowhere, and it never writes a log: nothing it handles (commands, credentials) lands on disk.
 */
import { Agent } from './server.js';

const path = process.argv[2];
if (!path) process.exit(2);
// Detached in its own session: the terminal's Ctrl-C and hang-up belong to the runs, not to it.
process.on('SIGHUP', () => undefined);
const agent = new Agent(path);
if (!(await agent.listen())) process.exit(0);
