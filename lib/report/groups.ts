/** Output groups, after Fabric's --hide/--show (apart from console.ts so option checks need not load chalk). */
export type Group = 'running' | 'stdout' | 'stderr' | 'status' | 'warnings' | 'user';
export const GROUPS: readonly Group[] = ['running', 'stdout', 'stderr', 'status', 'warnings', 'user'];
