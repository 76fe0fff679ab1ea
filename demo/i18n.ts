// The page's two languages, English and Korean: the browser's language picks
// one (a `lang` URL parameter overrides it), the toggle switches. Words live
// in demo/words.ts (the page's) and demo/experiments.ts (each experiment's
// text); `t` fills {name} placeholders. No runtime dependency.
import { WORDS, type WordKey } from './words';

export type Lang = 'en' | 'ko';
export const LANGS: readonly Lang[] = ['en', 'ko'];

/** A text in both languages. */
export type Both = Record<Lang, string>;

let current: Lang = 'en';
const listeners: (() => void)[] = [];

/** The language of the URL's `lang`, else the browser's first language that is ours, else English. */
export function pickLang(search: string, languages: readonly string[]): Lang {
  const asked = new URLSearchParams(search).get('lang');
  if (asked === 'en' || asked === 'ko') return asked;
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function lang(): Lang {
  return current;
}

/** The language of `t` and `pick` only (the training worker's words: data names, messages), no page to update. */
export function useLang(l: Lang): void {
  current = l;
}

/** Switch the language: <html lang>, every static word, then whoever listens (charts, status, texts). */
export function setLang(l: Lang): void {
  current = l;
  document.documentElement.lang = l;
  applyStatic(document);
  for (const f of listeners) f();
}

export function onLangChange(f: () => void): void {
  listeners.push(f);
}

/** Fill {name} placeholders. */
export function fill(text: string, vars: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** The page's word `key` in the current language, placeholders filled. */
export function t(key: WordKey, vars?: Record<string, string | number>): string {
  return fill(WORDS[key][current], vars);
}

/** A text given in both languages, in the current one. */
export function pick(both: Both, vars?: Record<string, string | number>): string {
  return fill(both[current], vars);
}

/**
 * Static words: [data-i18n] sets the text, [data-i18n-aria] aria-label,
 * [data-i18n-title] the tooltip, [data-i18n-placeholder] the placeholder;
 * <option data-i18n> too.
 */
export function applyStatic(root: ParentNode): void {
  root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((el) => (el.textContent = t(el.dataset.i18n as WordKey)));
  root.querySelectorAll<HTMLElement>('[data-i18n-aria]').forEach((el) => el.setAttribute('aria-label', t(el.dataset.i18nAria as WordKey)));
  root.querySelectorAll<HTMLElement>('[data-i18n-title]').forEach((el) => (el.title = t(el.dataset.i18nTitle as WordKey)));
  root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]').forEach((el) => (el.placeholder = t(el.dataset.i18nPlaceholder as WordKey)));
  const title = root.querySelector?.('title');
  if (title) title.textContent = t('pageTitle');
}
