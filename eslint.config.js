// Lint: only the rules that catch real bugs the type checker misses. A promise nobody awaits
// once killed the service (an unhandled rejection during a scan), so floating and misused
// promises are errors everywhere, and `void` is no excuse: fire-and-forget goes through the
// named helper in src/shared/background.ts, which logs what fails.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'gui/**', 'test-output/**', 'bench/results/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./tsconfig.json', './test/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: false,
          // node:test runs what test() and describe() return; awaiting them is optional.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
);
