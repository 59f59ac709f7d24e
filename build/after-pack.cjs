// electron-builder afterPack hook: flips Electron's fuses on the packaged binary, so the shipped
// app can't be turned into a general-purpose Node runtime or debugged through its CLI flags.
// See docs/security.md. CommonJS because electron-builder requires() hooks.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS hook file */
const path = require('node:path')
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses')

/** The fuse settings, exported so a test can check them without packaging. */
const FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // verified on macOS and Windows (electron-builder embeds the asar hash there)
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // the page is out/renderer/index.html on file://; its ES module scripts need these privileges
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: true,
}

function electronBinary(context) {
  const name = context.packager.appInfo.productFilename
  switch (context.electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(context.appOutDir, `${name}.app`)
    case 'win32':
      return path.join(context.appOutDir, `${name}.exe`)
    default:
      return path.join(context.appOutDir, context.packager.executableName)
  }
}

async function afterPack(context) {
  const binary = electronBinary(context)
  const isMac = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas'
  await flipFuses(binary, { ...FUSES, resetAdHocDarwinSignature: isMac && context.arch === 3 /* arm64 */ })
  console.log(`after-pack: fuses set on ${binary}`)
}

module.exports = afterPack
module.exports.default = afterPack
module.exports.FUSES = FUSES
