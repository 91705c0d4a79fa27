// Every visible string comes from a bundle (frontend/i18n/{kk,ru,en}.json). Elements remember
// their key in data-i18n (and data-i18n-attrs for attributes), so switching the language
// re-translates the page in place without rebuilding it (a live call keeps running).

export const LOCALES = ["kk", "ru", "en"];
const TAGS = { kk: "kk-KZ", ru: "ru-RU", en: "en-GB" };
const STORAGE_KEY = "sabaq.locale";
const bundles = {};
let locale = "kk";

async function fetchBundle(code) {
  if (!bundles[code]) {
    const response = await fetch(`/i18n/${code}.json`);
    bundles[code] = await response.json();
  }
  return bundles[code];
}

export function currentLocale() {
  return locale;
}

export function localeTag() {
  return TAGS[locale];
}

export function initialLocale() {
  const stored = window.localStorage.getItem(STORAGE_KEY);
  if (LOCALES.includes(stored)) return stored;
  const browser = (navigator.language || "").slice(0, 2);
  return LOCALES.includes(browser) ? browser : "kk";
}

export async function setLocale(code) {
  const next = LOCALES.includes(code) ? code : "kk";
  await Promise.all([fetchBundle(next), fetchBundle("en")]);
  locale = next;
  window.localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  translateTree(document);
  window.dispatchEvent(new CustomEvent("sabaq:locale", { detail: next }));
}

function lookup(key, args) {
  const bundle = bundles[locale] ?? {};
  const fallback = bundles.en ?? {};
  if (args && typeof args.count === "number") {
    const form = new Intl.PluralRules(TAGS[locale]).select(args.count);
    const plural = bundle[`${key}.${form}`] ?? bundle[`${key}.other`];
    if (plural) return plural;
  }
  return bundle[key] ?? fallback[key] ?? fallback[`${key}.other`] ?? key;
}

export function has(key) {
  return key in (bundles[locale] ?? {}) || key in (bundles.en ?? {});
}

export function t(key, args = {}) {
  return lookup(key, args).replace(/\{(\w+)\}/g, (whole, name) => {
    const value = args[name];
    if (value === undefined || value === null) return whole;
    return typeof value === "number" ? formatNumber(value) : String(value);
  });
}

/** Sets an element's text from a key and remembers it for the next language switch. */
export function tr(el, key, args) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, args);
  return el;
}

/** Empties an element ``tr`` had set, so that a language switch leaves it empty. */
export function untr(el) {
  delete el.dataset.i18n;
  delete el.dataset.i18nArgs;
  el.textContent = "";
  return el;
}

/** Sets translated attributes, e.g. trAttr(button, {"aria-label": ["room.mic_off"]}). */
export function trAttr(el, attrs) {
  const known = el.dataset.i18nAttrs ? JSON.parse(el.dataset.i18nAttrs) : {};
  Object.assign(known, attrs);
  el.dataset.i18nAttrs = JSON.stringify(known);
  for (const [name, [key, args]] of Object.entries(attrs)) el.setAttribute(name, t(key, args));
  return el;
}

export function translateTree(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : undefined;
    el.textContent = t(el.dataset.i18n, args);
  }
  for (const el of root.querySelectorAll("[data-i18n-attrs]")) {
    for (const [name, [key, args]] of Object.entries(JSON.parse(el.dataset.i18nAttrs))) {
      el.setAttribute(name, t(key, args));
    }
  }
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(TAGS[locale], options).format(value);
}

export function formatTime(iso, timeZone) {
  return new Intl.DateTimeFormat(TAGS[locale], {
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(new Date(iso));
}

/** Whether this browser's Intl has month names for the locale (Chromium has none for "kk"). */
function hasMonthNames(tag) {
  const sample = new Intl.DateTimeFormat(tag, { month: "long", timeZone: "UTC" })
    .format(new Date(Date.UTC(2024, 10, 15)));
  return !/^M\d+$/.test(sample);
}

export function formatDay(iso, timeZone) {
  const date = new Date(iso);
  let text;
  if (hasMonthNames(TAGS[locale])) {
    text = new Intl.DateTimeFormat(TAGS[locale], {
      weekday: "long", day: "numeric", month: "long", timeZone,
    }).format(date);
  } else {
    // This browser has no calendar data for the language (Chromium lacks Kazakh): use ours.
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      weekday: "short", day: "numeric", month: "numeric", timeZone,
    }).formatToParts(date).map((part) => [part.type, part.value]));
    text = t("date.day", {
      day: Number(parts.day),
      month: t(`date.month.${Number(parts.month)}`),
      weekday: t(`date.weekday.${parts.weekday.toLowerCase()}`),
    });
  }
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function dayKey(iso, timeZone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone }).format(new Date(iso));
}

export function zoneOffset(timeZone) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone, timeZoneName: "shortOffset" })
    .formatToParts(new Date());
  return parts.find((part) => part.type === "timeZoneName")?.value ?? timeZone;
}
