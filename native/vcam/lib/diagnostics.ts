/**
 * Setup help: is v4l2loopback loaded, is there a "PortSeg Camera", may this user open it, and the
 * exact fix (with a function the app can offer to run through pkexec).
 */
import { spawn } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { loadBinding, loadedAddonPath } from './binding.js'
import { DEFAULT_LABEL, isLoopbackModuleLoaded, listDevices, modprobeCommand, SYS_MODULE, sysfsLabels, type VcamDevice } from './devices.js'
import { VcamError, isVcamError } from './errors.js'

export const MODPROBE_CONF_PATH = '/etc/modprobe.d/portseg-camera.conf'
export const MODULES_LOAD_PATH = '/etc/modules-load.d/portseg-camera.conf'

export interface VcamDiagnosis {
  platform: NodeJS.Platform
  isSupported: boolean
  addon: { isLoaded: boolean; path?: string; error?: string }
  isModuleLoaded: boolean
  moduleVersion?: string
  /** v4l2loopback parameters from sysfs (exclusive_caps, max_buffers …) when readable. */
  moduleParams: Record<string, string>
  devices: VcamDevice[]
  /** The device labelled `label`, when there is one. */
  device?: VcamDevice
  /** Whether this process may open that device read-write. */
  canOpen?: boolean
  /** Everything is in place to start the camera. */
  isReady: boolean
  /** Human-readable findings, one per line. */
  problems: string[]
  /** What to do, one command or step per line. */
  fixes: string[]
}

/** Files for loading the module at every boot, with our options. */
export function persistentConfig(label = DEFAULT_LABEL): { path: string; contents: string }[] {
  return [
    { path: MODULES_LOAD_PATH, contents: 'v4l2loopback\n' },
    { path: MODPROBE_CONF_PATH, contents: `options v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="${label}"\n` },
  ]
}

function readModuleParams(): Record<string, string> {
  const dir = path.join(SYS_MODULE, 'parameters')
  const params: Record<string, string> = {}
  if (!existsSync(dir)) return params
  for (const name of readdirSync(dir)) {
    try {
      params[name] = readFileSync(path.join(dir, name), 'utf8').trim()
    } catch {
      // some parameters are root-only
    }
  }
  return params
}

function readModuleVersion(): string | undefined {
  try {
    return readFileSync(path.join(SYS_MODULE, 'version'), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** Looks at the machine and says what is missing and how to fix it. Never throws. */
export function diagnose(label = DEFAULT_LABEL): VcamDiagnosis {
  const problems: string[] = []
  const fixes: string[] = []
  const result: VcamDiagnosis = {
    platform: process.platform,
    isSupported: process.platform === 'linux',
    addon: { isLoaded: false },
    isModuleLoaded: false,
    moduleParams: {},
    devices: [],
    isReady: false,
    problems,
    fixes,
  }
  if (!result.isSupported) {
    problems.push(`The virtual camera is not supported on this platform (${process.platform}) yet.`)
    return result
  }
  try {
    loadBinding()
    result.addon = { isLoaded: true, ...(loadedAddonPath() ? { path: loadedAddonPath() } : {}) }
  } catch (e) {
    result.addon = { isLoaded: false, error: isVcamError(e) ? e.message : String(e) }
    problems.push('The virtual-camera addon (vcam.node) is not built.')
    fixes.push('npm run build:native   (needs: sudo apt-get install cmake g++ make)')
  }
  result.isModuleLoaded = isLoopbackModuleLoaded()
  result.moduleParams = readModuleParams()
  const version = readModuleVersion()
  if (version) result.moduleVersion = version
  if (result.addon.isLoaded) {
    try {
      result.devices = listDevices()
    } catch (e) {
      problems.push(`Listing video devices failed: ${e instanceof Error ? e.message : String(e)}`)
    }
  } else {
    result.devices = [...sysfsLabels()].map(([p, l]) => ({ path: p, label: l, driver: '', isLoopback: false, acceptsOutput: false, isCapturing: false }))
  }
  const device = result.devices.find((d) => d.label === label)
  if (device) result.device = device

  if (!result.isModuleLoaded) {
    problems.push('The v4l2loopback kernel module is not loaded, so there is no virtual camera device.')
    fixes.push(`Load it now: ${modprobeCommand(label)}`)
    fixes.push('If modprobe says "Module v4l2loopback not found": sudo apt install v4l2loopback-dkms (Debian/Ubuntu) or sudo dnf install v4l2loopback (Fedora, RPM Fusion)')
    fixes.push(`Load it at every boot: write ${MODULES_LOAD_PATH} and ${MODPROBE_CONF_PATH} (portseg vcam --status shows their contents)`)
  } else if (!device) {
    problems.push(`v4l2loopback is loaded, but no device is labelled "${label}".`)
    fixes.push(`Reload it with the label: pkexec modprobe -r v4l2loopback && ${modprobeCommand(label)}`)
  } else {
    if (result.moduleParams.exclusive_caps !== undefined && !/^Y/.test(result.moduleParams.exclusive_caps)) {
      problems.push('v4l2loopback runs without exclusive_caps=1: Chrome, Meet and Teams may not list the camera.')
      fixes.push(`Reload it: pkexec modprobe -r v4l2loopback && ${modprobeCommand(label)}`)
    }
    try {
      accessSync(device.path, constants.R_OK | constants.W_OK)
      result.canOpen = true
    } catch {
      result.canOpen = false
      let group = 'video'
      try {
        const gid = statSync(device.path).gid
        const groupLine = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[2] === String(gid))
        group = groupLine?.split(':')[0] ?? group
      } catch {
        // keep 'video'
      }
      problems.push(`This user may not open ${device.path} (it belongs to group "${group}").`)
      fixes.push(`sudo usermod -aG ${group} "$USER", then log out and back in`)
    }
    if (device.isCapturing && !device.acceptsOutput) problems.push(`${device.path} is in use: another program is sending video to it right now.`)
  }
  result.isReady = result.addon.isLoaded && result.isModuleLoaded && device !== undefined && result.canOpen === true
  return result
}

/** Plain-text report for `portseg vcam --status`. */
export function formatDiagnosis(d: VcamDiagnosis, label = DEFAULT_LABEL): string {
  const lines: string[] = []
  lines.push(`Virtual camera "${label}": ${d.isReady ? 'ready' : 'NOT ready'}`)
  lines.push(`  platform:      ${d.platform}${d.isSupported ? '' : ' (not supported yet)'}`)
  if (d.isSupported) {
    lines.push(`  addon:         ${d.addon.isLoaded ? `loaded (${d.addon.path ?? '?'})` : 'missing'}`)
    lines.push(`  v4l2loopback:  ${d.isModuleLoaded ? `loaded${d.moduleVersion ? ` (${d.moduleVersion})` : ''}` : 'not loaded'}`)
    const params = ['exclusive_caps', 'max_buffers'].filter((k) => d.moduleParams[k] !== undefined).map((k) => `${k}=${d.moduleParams[k]}`)
    if (params.length > 0) lines.push(`  parameters:    ${params.join(' ')}`)
    lines.push(`  devices:       ${d.devices.length === 0 ? 'none' : ''}`)
    for (const dev of d.devices) {
      const state = dev.openError ? `cannot open: ${dev.openError}` : dev.isCapturing ? 'streaming (a producer is writing)' : dev.acceptsOutput ? 'idle, accepts output' : 'no output caps'
      lines.push(`    ${dev.path}  "${dev.label}"  ${dev.isLoopback ? 'v4l2loopback' : dev.driver || 'unknown driver'}, ${state}`)
    }
  }
  if (d.problems.length > 0) {
    lines.push('Problems:')
    for (const p of d.problems) lines.push(`  - ${p}`)
  }
  if (d.fixes.length > 0) {
    lines.push('Fix:')
    for (const f of d.fixes) lines.push(`  - ${f}`)
  }
  if (d.isSupported && !d.isModuleLoaded) {
    lines.push('Persistent setup (load at every boot):')
    for (const file of persistentConfig(label)) lines.push(`  ${file.path}:\n    ${file.contents.trim()}`)
  }
  return lines.join('\n')
}

/** Turns modprobe's failure into an error that says what happened and what to do. */
export function explainModprobeFailure(stderr: string, exitCode: number | null, label = DEFAULT_LABEL): VcamError {
  const text = stderr.trim()
  if (/Key was rejected by service/i.test(text))
    return new VcamError('VCAM_MODULE_MISSING', 'The kernel refused to load v4l2loopback: Secure Boot is on and the module is not signed with a key it trusts ("Key was rejected by service").', {
      hints: [
        'Enroll the DKMS signing key, then reboot and confirm it in the blue MOK screen: sudo mokutil --import /var/lib/dkms/mok.pub',
        '(Ubuntu: sudo update-secureboot-policy --enroll-key does the same)',
        'Or disable Secure Boot in the firmware settings.',
        `Then run again: ${modprobeCommand(label)}`,
      ],
    })
  if (/not found in directory|Module v4l2loopback not found|FATAL: Module/i.test(text))
    return new VcamError('VCAM_MODULE_MISSING', 'v4l2loopback is not installed for the running kernel.', {
      hints: [
        'Install it: sudo apt install v4l2loopback-dkms (Debian/Ubuntu), sudo dnf install v4l2loopback (Fedora, RPM Fusion), sudo pacman -S v4l2loopback-dkms (Arch)',
        'If it is installed, install the headers for your kernel (linux-headers-$(uname -r)) so DKMS can build it, or reboot into the newest kernel.',
        `Then: ${modprobeCommand(label)}`,
      ],
    })
  if (exitCode === 126 || exitCode === 127 || /Not authorized|dismissed/i.test(text))
    return new VcamError('VCAM_PERMISSION', 'Loading v4l2loopback was cancelled or not authorised (pkexec).', {
      hints: [`Run it in a terminal instead: sudo ${modprobeCommand(label).replace(/^pkexec /, '')}`],
    })
  return new VcamError('VCAM_MODULE_MISSING', `Loading v4l2loopback failed (exit ${String(exitCode)}): ${text || 'no message'}`, {
    hints: [`Try it in a terminal to see the full message: sudo ${modprobeCommand(label).replace(/^pkexec /, '')}`, 'dmesg | tail shows what the kernel said.'],
  })
}

export interface FixResult {
  command: string[]
  exitCode: number | null
  stderr: string
}

/**
 * Loads v4l2loopback with our options through pkexec (the desktop asks for the password);
 * with `isPersistent` it also writes the boot-time config. Resolves when the device exists;
 * rejects with an explained VcamError otherwise.
 */
export async function runFix(options: { label?: string; isPersistent?: boolean; pkexec?: string } = {}): Promise<FixResult> {
  const label = options.label ?? DEFAULT_LABEL
  if (process.platform !== 'linux') throw new VcamError('VCAM_NOT_SUPPORTED', `The virtual camera is not supported on this platform (${process.platform}) yet.`)
  if (!/^[\w .-]{1,31}$/.test(label)) throw new VcamError('BAD_ARGUMENT', `runFix: label must be 1-31 letters, digits, spaces, dots or dashes (got ${JSON.stringify(label)})`)
  const modprobe = ['modprobe', 'v4l2loopback', 'devices=1', 'exclusive_caps=1', 'max_buffers=8', `card_label=${label}`]
  let command: string[]
  if (options.isPersistent) {
    // one pkexec prompt: write both files, then load
    const script = [
      ...persistentConfig(label).map((f) => `printf '%s' '${f.contents.replace(/'/g, "'\\''")}' > '${f.path}'`),
      modprobe.map((a) => `'${a}'`).join(' '),
    ].join(' && ')
    command = [options.pkexec ?? 'pkexec', 'sh', '-c', script]
  } else {
    command = [options.pkexec ?? 'pkexec', ...modprobe]
  }
  const [exe, ...args] = command as [string, ...string[]]
  const { exitCode, stderr } = await new Promise<{ exitCode: number | null; stderr: string }>((resolve) => {
    const child = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', (e) => resolve({ exitCode: 127, stderr: `${exe}: ${e.message}` }))
    child.on('close', (code) => resolve({ exitCode: code, stderr: err }))
  })
  if (exitCode !== 0) throw explainModprobeFailure(stderr, exitCode, label)
  return { command, exitCode, stderr }
}
