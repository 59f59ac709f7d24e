import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

// Layers import only downward (VS Code's rule): shared ← engine ← {cli, app}; shared ← preload ← renderer.
const plainNode = 'This folder runs in plain Node (CLI, tests). Put Electron glue in src/main/app.'

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'native/vcam/build/**', 'scratch/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/shared', from: ['./src/main', './src/preload', './src/renderer', './native'], message: 'src/shared is the bottom layer.' },
            { target: './src/main/engine', from: ['./src/main/app', './src/main/cli', './src/preload', './src/renderer'], message: 'The engine must not import upper layers.' },
            { target: './src/main/cli', from: ['./src/main/app', './src/preload', './src/renderer'], message: 'The CLI runs in plain Node.' },
            { target: './src/main/app', from: ['./src/preload', './src/renderer', './src/main/cli'], message: 'The app shell does not import the UI or the CLI.' },
            { target: './src/preload', from: ['./src/main', './src/renderer'], message: 'The preload only bridges the shared contract.' },
            { target: './src/renderer', from: ['./src/main', './native'], message: 'The renderer reaches main only through window.portseg.' },
            { target: './native/vcam/lib', from: ['./src'], message: 'native/vcam is a leaf.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/shared/**', 'src/main/engine/**', 'src/main/cli/**', 'native/vcam/lib/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: plainNode }] }] },
  },
  {
    files: ['src/shared/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'electron'], message: 'src/shared runs anywhere: no Node or Electron APIs.' }] }] },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'electron'], message: 'The renderer is sandboxed: use window.portseg.' }] }],
    },
  },
  {
    files: ['test/**', 'scripts/**', '*.config.*', 'bin/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)
