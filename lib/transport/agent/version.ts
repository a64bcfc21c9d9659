/** Bumped when the agent's protocol changes: a run replaces an agent of another version instead of talking to it. */
export const PROTOCOL_VERSION = 1;
