// The dashboard build: plain TypeScript and ECharts bundled by Vite into
// dist/web, served by `mirrorwatch serve` (no CDN at run time). Two pages:
// the login form and the app; both load only external scripts and styles so
// the server's Content-Security-Policy can forbid inline code.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: resolve(root, '..', 'dist', 'web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { index: resolve(root, 'index.html'), login: resolve(root, 'login.html') },
    },
  },
});
