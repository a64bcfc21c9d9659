// Moved to lib/model/settings.ts; kept for imports that still use this path.
export * from './model/settings.js';
