const KEY = 'rtclab.token';

export interface TokenStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The access token: from `?token=` in the address when present (remembered for reloads),
 * else the one remembered earlier in this tab. */
export function resolveToken(search: string, store: TokenStore | null): string | null {
  const fromUrl = new URLSearchParams(search).get('token');
  if (fromUrl) {
    try {
      store?.setItem(KEY, fromUrl);
    } catch {
      /* storage disabled: the token still works for this page */
    }
    return fromUrl;
  }
  try {
    return store?.getItem(KEY) ?? null;
  } catch {
    return null;
  }
}

/** The address without its `token` parameter, so it does not linger in the address bar. */
export function withoutToken(href: string): string {
  const u = new URL(href);
  u.searchParams.delete('token');
  return u.toString();
}
