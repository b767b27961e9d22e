// Lint rules: the type-aware recommended set, plus the few rules that catch
// real bugs in async controller code (floating promises, misused promises).
import tseslint from 'typescript-eslint';

// Test support (a testing/ folder, test/, bench/, a *.test.ts file) is left out of dist/, the
// image and the npm package, so a product module that imported it would fail at run time there.
// A rule of our own rather than no-restricted-imports: it also sees import() and export ... from.
const testSupportPath = /(^|\/)(testing|test|bench)\/|\.test\.[cm]?[jt]s$/;
const hush = {
  rules: {
    'no-test-support-import': {
      meta: {
        type: 'problem',
        schema: [],
        messages: { testSupport: 'product code must not import test support ({{path}}); only tests, testing/ folders, test/ and bench/ may' },
      },
      create(context) {
        const check = (node) => {
          const source = node.source;
          if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
          if (testSupportPath.test(source.value)) context.report({ node: source, messageId: 'testSupport', data: { path: source.value } });
        };
        return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'deploy/**', 'tools/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/testing/**'],
    plugins: { hush },
    rules: { 'hush/no-test-support-import': 'error' },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
