// The chapter's figure, live: the first characters of each run's latest
// minibatch, cut where its strategy stops the gradient (ξ_t = 0); for
// TBPTT(k1, k2), one row per block of k1 losses and the history it reaches.
import { segments, lossReach } from '../src/index';
import { t } from './i18n';
import type { Run } from './run';

/** Each run's cuts over the first sequence of its latest minibatch (the chapter's figure); TBPTT: each block's reach. */
export function renderSegments(box: HTMLElement, runs: Run[], source: { chars: string[] } | null): void {
  box.replaceChildren();
  for (const r of runs) {
    if (!r.lastBatch || !r.lastXi || !source) continue;
    const B = r.settings.batch, T = r.settings.steps;
    const chars = Array.from({ length: T }, (_, i) => source.chars[r.lastBatch!.tokens[i * B]] ?? '?');
    const line = document.createElement('div');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = r.label;
    line.append(name);
    if (r.truncation.spec.kind === 'tbptt' && r.lastPlan) {
      box.append(line, ...reachRows(lossReach(r.lastPlan, 0), chars, r.truncation.spec.k1));
      continue;
    }
    if (r.truncation.spec.kind === 'randomized' && r.truncation.spec.perSequence) name.textContent = t('seq0', { label: r.label });
    segments(r.lastXi).forEach(([a, b], i) => {
      const span = document.createElement('span');
      span.className = `seg ${i % 2 ? 'b' : 'a'}`;
      span.textContent = chars.slice(a, b).join('');
      span.title = t('segTitle', { a, b: b - 1 });
      line.append(span);
    });
    box.append(line);
  }
}

/**
 * TBPTT's reaches as rows, one per block of k1 losses (which share their
 * reach j): steps j … (first loss − 1), the history they backpropagate into,
 * then the losses themselves.
 */
function reachRows(reach: Int32Array, chars: string[], k1: number): HTMLDivElement[] {
  const rows: HTMLDivElement[] = [];
  for (let a = 0; a < reach.length;) {
    let b = a + 1;
    while (b < reach.length && b % k1 !== 0 && reach[b] === reach[a]) b++;
    const j = reach[a];
    const row = document.createElement('div');
    row.className = 'reach';
    const pad = document.createElement('span');
    pad.className = 'name';
    pad.textContent = a === 0 ? t('eachLossReaches') : '';
    const before = document.createElement('span');
    before.className = 'gap';
    before.textContent = chars.slice(0, j).map(() => ' ').join('');
    const back = document.createElement('span');
    back.className = 'back';
    back.textContent = chars.slice(j, a).join('');
    const loss = document.createElement('span');
    loss.className = 'loss';
    loss.textContent = chars.slice(a, b).join('');
    row.title = t('reachTitle', { a, b: b - 1, j });
    row.append(pad, before, back, loss);
    rows.push(row);
    a = b;
  }
  return rows;
}
