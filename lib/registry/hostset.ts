// Moved to lib/model/hostset.ts (the data model sits below the runner); kept for imports that still use this path.
export * from '../model/hostset.js';
