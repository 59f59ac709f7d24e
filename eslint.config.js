import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

// Layers import only downward (VS Code's rule): shared ← engine ← {cli, app}; shared ← preload ← renderer;
// native/vcam is a leaf. ESLint's core no-restricted-imports enforces each row of STYLE.md §7's table:
// one rule entry per folder, because a later block's options replace an earlier block's.
const electron = (message) => ({ name: 'electron', message })
const upward = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})/`, message })
const nodeOrElectron = (message) => ({ group: ['node:*', 'electron', 'fs', 'path', 'os', 'child_process'], message })
const fence = (paths, patterns) => ['error', { paths, patterns }]
const plainNode = 'This folder runs in plain Node (CLI, tests). Put Electron glue in src/main/app.'

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'native/vcam/build/**', 'scratch/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': fence([], [
        nodeOrElectron('src/shared runs anywhere: no Node or Electron APIs.'),
        { regex: '^\\.\\./', message: 'src/shared is the bottom layer: it imports only itself and zod.' },
      ]),
    },
  },
  {
    files: ['src/main/engine/**'],
    rules: {
      'no-restricted-imports': fence([electron(plainNode)], [
        upward(['app', 'cli', 'preload', 'renderer'], 'The engine must not import upper layers (app, cli) or the UI.'),
      ]),
    },
  },
  {
    files: ['src/main/cli/**'],
    rules: {
      'no-restricted-imports': fence([electron(plainNode)], [upward(['app', 'preload', 'renderer'], 'The CLI runs in plain Node: engine and shared only.')]),
    },
  },
  {
    files: ['src/main/app/**'],
    rules: {
      'no-restricted-imports': fence([], [upward(['cli', 'preload', 'renderer'], 'The app shell does not import the UI or the CLI.')]),
    },
  },
  {
    files: ['src/preload/**'],
    rules: {
      'no-restricted-imports': fence([], [upward(['main', 'renderer'], 'The preload only bridges the shared contract.')]),
    },
  },
  {
    files: ['native/vcam/lib/**'],
    rules: {
      'no-restricted-imports': fence([electron('native/vcam loads in plain Node too.')], [
        { regex: '(^|/)src/', message: 'native/vcam is a leaf: it must not import the app.' },
      ]),
    },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': fence([], [
        nodeOrElectron('The renderer is sandboxed: use window.portseg.'),
        { regex: '^(\\.\\./)+(main|native)/', message: 'The renderer reaches main only through window.portseg.' },
      ]),
    },
  },
  {
    files: ['test/**', 'scripts/**', '*.config.*', 'bin/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)
