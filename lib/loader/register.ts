import { register } from 'node:module';
import { homedir } from 'node:os';

let registered = false;

/** Installs the TypeScript hooks once per process. */
export function registerTsLoader(): void {
  if (registered) return;
  registered = true;
  const cacheDir = process.env.FAB_CACHE_DIR ?? `${process.env.XDG_CACHE_HOME ?? `${homedir()}/.cache`}/fabts/ts`;
  const fabtsUrl = new URL('../index.js', import.meta.url).href;
  register(new URL('./hooks.js', import.meta.url), { data: { cacheDir, fabtsUrl } });
}
