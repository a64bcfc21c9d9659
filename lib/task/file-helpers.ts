/** Fabric's contrib.files, once: the table that TaskContext's methods and the DSL's functions are made from. */
import * as files from '../files/helpers.js';
import { editFile } from '../files/edit.js';
import type { Host } from '../run/host.js';

export const FILE_HELPERS = {
  sed: files.sed,
  comment: files.comment,
  uncomment: files.uncomment,
  append: files.append,
  contains: files.contains,
  exists: files.exists,
  uploadTemplate: files.uploadTemplate,
  editFile,
} as const;

/** A helper `(ctx, ...args) => R` bound to a host: `(...args) => R`. */
type Bound<F> = F extends (ctx: Host, ...args: infer A) => infer R ? (...args: A) => R : never;

export type FileHelpers = { [K in keyof typeof FILE_HELPERS]: Bound<(typeof FILE_HELPERS)[K]> };
