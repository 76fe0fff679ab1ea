// The experiment picker and the experiment's card (what to watch, what the
// chapter says, where it stops holding), in the current language.
import { EXPERIMENTS, type Experiment } from './experiments';
import { t, pick } from './i18n';

/** The picker's options: the free lab, then every experiment; `current` selected. */
export function fillPicker(select: HTMLSelectElement, current: Experiment | null): void {
  const free = new Option(t('expFree'), '');
  select.replaceChildren(free, ...EXPERIMENTS.map((e) => new Option(pick(e.title), e.id)));
  select.value = current?.id ?? '';
}

/** The card of `exp` into `box` (empty for the free lab). */
export function renderLesson(box: HTMLElement, exp: Experiment | null): void {
  box.replaceChildren();
  if (!exp) return;
  const h = document.createElement('h2');
  h.textContent = pick(exp.title);
  const parts = ([['watch', exp.watch], ['chapterSays', exp.chapter], ['stopsHolding', exp.limits]] as const).map(([key, text]) => {
    const p = document.createElement('p');
    p.className = key;
    const b = document.createElement('strong');
    b.textContent = `${t(key)}. `;
    p.append(b, pick(text));
    return p;
  });
  const runs = document.createElement('p');
  runs.className = 'hint';
  runs.textContent = t('pressCompare', { runs: exp.variants.map((v) => pick(v.label)).join(', ') });
  box.append(h, ...parts, runs);
}
