// Builds native/vcam (the virtual-camera addon) with cmake-js in Node-API mode into
// native/vcam/build/Release/vcam.node. A no-op when the .node is newer than every source.
// Without cmake or a C++ compiler it explains how to get them and exits 0, so the rest of the
// app still builds; the app then reports VCAM_ADDON_MISSING when the camera is started.
//   node scripts/build-native.mjs [--force] [--vec-report]
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = path.join(root, 'native', 'vcam')
const output = path.join(dir, 'build', 'Release', 'vcam.node')
const force = process.argv.includes('--force')
const vecReport = process.argv.includes('--vec-report')

function newestSource() {
  const files = ['CMakeLists.txt', 'package.json', ...readdirSync(path.join(dir, 'src')).map((f) => path.join('src', f))]
  return Math.max(...files.map((f) => statSync(path.join(dir, f)).mtimeMs))
}

function onPath(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0
}

if (!force && !vecReport && existsSync(output) && statSync(output).mtimeMs >= newestSource()) {
  console.log('native: native/vcam/build/Release/vcam.node is up to date')
  process.exit(0)
}

const compilers = process.platform === 'win32' ? [] : ['c++', 'g++', 'clang++']
const missing = []
if (!onPath('cmake')) missing.push('cmake')
if (compilers.length > 0 && !compilers.some(onPath)) missing.push('a C++ compiler (g++ or clang++)')
if (missing.length > 0) {
  const fix =
    process.platform === 'linux'
      ? 'sudo apt-get install cmake g++ make   (Debian/Ubuntu; ./scripts/test.sh does this for you)'
      : process.platform === 'darwin'
        ? 'xcode-select --install && brew install cmake'
        : 'install Visual Studio Build Tools (C++ workload) and CMake'
  console.warn(
    [
      `native: cannot build the virtual-camera addon (native/vcam): ${missing.join(' and ')} not found.`,
      `  - Install them: ${fix}`,
      '  - Then run: npm run build:native',
      '  The app still runs; starting the virtual camera will report VCAM_ADDON_MISSING until then.',
    ].join('\n'),
  )
  process.exit(0)
}

const require = createRequire(import.meta.url)
const { BuildSystem } = require('cmake-js')
const started = Date.now()
const build = new BuildSystem({
  directory: dir,
  out: path.join(dir, 'build'),
  config: 'Release',
  logLevel: 'warn',
  cMakeOptions: { VCAM_VEC_REPORT: vecReport ? 'ON' : 'OFF' },
  // two cores on CI; more on a developer's machine
  parallel: undefined,
})
try {
  await (vecReport || force ? build.rebuild() : build.build())
} catch (e) {
  console.error(`native: building native/vcam failed: ${e instanceof Error ? e.message : String(e)}`)
  console.error('  - The compiler output is above. Fix it, then run: npm run build:native')
  process.exit(1)
}
if (!existsSync(output)) {
  console.error(`native: the build finished but ${path.relative(root, output)} is missing (cmake-js output layout changed?)`)
  process.exit(1)
}
console.log(`native: built ${path.relative(root, output)} in ${Date.now() - started} ms`)
