// Moved to lib/task/task.ts (a task and the context it receives are one concept); kept for old imports.
export * from '../task/task.js';
