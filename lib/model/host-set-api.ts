/**
 * `fabts/hosts`: what a host set file needs, without the fabfile API. A host set is loaded on every run that
 * selects it, an ad-hoc `fab SET -- cmd` included; importing `fabts` there would load every recipe as well.
 */
export { hostSet, type HostSet, type HostSetDef, type HostDef, type HostTarget } from './hostset.js';
export * from '../errors.js';
