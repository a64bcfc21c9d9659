import { UsageError } from '../errors.js';
import type { Host } from '../run/host.js';
import { editFile, type EditOptions, type EditResult } from './edit.js';
import type { Transformed } from './transforms.js';

/**
 * A managed block (Ansible's blockinfile): lines between `# BEGIN <name>` and `# END <name>` that a
 * task owns. Writing the same block again changes nothing; `state: 'absent'` removes it.
 */
export interface BlockOptions {
  /** Marker template; `{mark}` becomes BEGIN or END. Default `# {mark} fabts managed block: <name>`. */
  marker?: string;
  /** 'absent' removes the block (markers included). */
  state?: 'present' | 'absent';
}

export function blockMarkers(name: string, marker?: string): { begin: string; end: string } {
  if (!name || /[\r\n]/.test(name))
    throw new UsageError(
      `managed block name ${JSON.stringify(name)} is empty or has a newline`,
      'give a one-line name',
    );
  const tpl = marker ?? `# {mark} fabts managed block: ${name}`;
  if (!tpl.includes('{mark}'))
    throw new UsageError(`block marker "${tpl}" has no {mark}`, 'write {mark} where BEGIN/END goes');
  return { begin: tpl.replace('{mark}', 'BEGIN'), end: tpl.replace('{mark}', 'END') };
}

/** Pure: the text with the block inserted (at the end), replaced in place, or removed. */
export function setBlock(text: string, name: string, body: string | undefined, opts: BlockOptions = {}): Transformed {
  const { begin, end } = blockMarkers(name, opts.marker);
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const b = lines.indexOf(begin);
  const e = b < 0 ? -1 : lines.indexOf(end, b + 1);
  if (b >= 0 && e < 0)
    throw new UsageError(
      `managed block "${name}": "${begin}" has no "${end}" after it`,
      'repair the file by hand; nothing written',
    );
  const block =
    body === undefined || opts.state === 'absent' ? [] : [begin, ...body.replace(/\n$/, '').split('\n'), end];
  const out =
    b < 0 ? (block.length ? [...lines, ...block] : lines) : [...lines.slice(0, b), ...block, ...lines.slice(e + 1)];
  const next = out.length ? `${out.join('\n')}\n` : '';
  return { text: next, matched: b >= 0 ? 1 : 0, lines: b >= 0 ? [{ n: b + 1, text: begin }] : [] };
}

/** Insert/replace (or with state 'absent' remove) a managed block, atomically through editFile. */
export function blockInFile(
  ctx: Host,
  path: string,
  name: string,
  body: string,
  opts: BlockOptions & EditOptions = {},
): Promise<EditResult> {
  return editFile(ctx, path, (t) => setBlock(t, name, body, opts), { create: opts.state !== 'absent', ...opts });
}
