import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Absolute asset URLs: index.html is also served for /m/<meetingId>.
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps unless asked (RECINTO_SOURCEMAPS=1, for development): served next to the
    // bundle they would hand anyone the client's full sources and comments. The server refuses
    // *.map anyway (server/http/routes.ts).
    sourcemap: process.env.RECINTO_SOURCEMAPS === '1',
    // No inline <script>/<style>: keeps a strict Content-Security-Policy possible.
    assetsInlineLimit: 0,
  },
});
