import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.prof/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'operators/**/*.ts'],
    rules: {
      // Resilience code takes time and randomness from injected schedulers, never from the wall clock.
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval'],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use scheduler.now().' },
        { selector: "CallExpression[callee.object.name='console']", message: 'Report through the event stream.' },
      ],
      'no-restricted-imports': ['error', { patterns: ['**/test/**', '../test/*'] }],
    },
  },
);
