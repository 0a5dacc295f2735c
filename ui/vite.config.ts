import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

declare const process: { env: Record<string, string | undefined> };

// `npm run dev` can drive a running `rtc-lab serve`: set RTCLAB_API to its origin
// (e.g. http://127.0.0.1:7878) and open the dev page with the same `?token=`.
const api = process.env.RTCLAB_API;

export default defineConfig({
  // Relative asset URLs: the same build is served by `rtc-lab serve` at `/` and loaded by Tauri.
  base: './',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: api
    ? {
        proxy: {
          '/api': {
            target: api,
            ws: true,
            changeOrigin: true,
            // The lab refuses WebSockets from a foreign Origin; present its own.
            headers: { origin: api },
          },
        },
      }
    : undefined,
});
