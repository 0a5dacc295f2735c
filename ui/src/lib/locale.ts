// Some environments report a language tag that Intl rejects: WebKitGTK started with LANG=C
// says `navigator.language === "C"`, and libraries that build an `Intl.NumberFormat` from it
// at load time (uPlot does) would then stop the whole UI. Imported first by main.ts, this
// replaces such a tag with one Intl accepts before anything else runs.

/** `tag` when Intl accepts it, otherwise `fallback`. */
export function usableLocale(tag: string | undefined, fallback = 'en-US'): string {
  if (!tag) return fallback;
  try {
    return Intl.NumberFormat.supportedLocalesOf([tag]).length > 0 ? tag : fallback;
  } catch {
    return fallback;
  }
}

if (typeof navigator !== 'undefined') {
  const usable = usableLocale(navigator.language);
  if (usable !== navigator.language) {
    Object.defineProperty(Navigator.prototype, 'language', { configurable: true, get: () => usable });
  }
}
