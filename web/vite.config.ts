// Builds the browser app into web/dist; `rostra serve` serves it (src/api/WebApp.ts).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: {
    proxy: { '/api': { target: 'http://localhost:8080', ws: true }, '/live': 'http://localhost:8080' },
  },
});
