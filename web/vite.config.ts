// Builds the browser app into web/dist; `rostra serve` serves it (src/api/WebApp.ts).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // hls.js (~560 kB) is its own chunk, loaded only when audio starts; the app chunk stays small.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': { target: 'http://localhost:8080', ws: true }, '/live': 'http://localhost:8080' },
  },
});
