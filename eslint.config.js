import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      '.temporal-bin',
      '.pulse-data',
      '.runagent-venv',
      '.cluster',
      'dist',
      'packages/client/dist',
      'bench/results',
      '.pulse-build',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed inside Temporal's deterministic sandbox: no Node modules, no I/O, and
    // activity implementations only as types (they are called through proxyActivities).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeModules.map((name) => ({ name, message: 'Workflows must not import Node modules.' })),
          patterns: [
            {
              group: ['**/activities', '**/activities/**', '../activities*'],
              allowTypeImports: true,
              message: 'Workflows may import activities only with `import type`.',
            },
            {
              group: ['**/src/**', '!**/src/shared', '!**/src/shared/**'],
              allowTypeImports: true,
              message: 'Workflows may import only Node-free code from src/shared.',
            },
            {
              group: ['@temporalio/*', '!@temporalio/workflow', '!@temporalio/common'],
              message: 'Workflows may use only @temporalio/workflow and @temporalio/common.',
            },
          ],
        },
      ],
    },
  },
);
