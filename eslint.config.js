// ESLint for Recinto (`./recinto lint`, `npm run lint:code`): typescript-eslint's recommended
// rules with type information (no floating or misused promises, exhaustive switches), zero
// warnings (--max-warnings 0). No formatting rules: Prettier formats (.prettierrc.json, checked by
// `./recinto lint` too).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['node_modules/', 'client/dist/', 'test-output/', 'certs/', 'data/']),
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // The project's own tsconfig.json: the same types the compiler checks.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its rejection; `void` says "on purpose".
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a void callback is expected (event handlers, setTimeout) drops
      // its rejection too. Attributes (`onclick = async () => …`) are checked like arguments.
      '@typescript-eslint/no-misused-promises': 'error',
      // A switch over a union handles every member, or says `default` on purpose.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Off: an async function without `await` is the style here, not a slip: Fastify handlers
      // and hooks are async by convention, and methods that implement a Promise-returning
      // interface (the media port, the relay, fakes in tests) are async even when they finish at once.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks a parameter or binding kept for its position.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read replies as parsed JSON (`any`) and let `expect` check their shape; typing every
    // reply would only repeat the assertions. They also spy on and patch methods on purpose
    // (`Worker.prototype.postMessage`, vitest mocks), which unbound-method reports.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
