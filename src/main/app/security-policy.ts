/**
 * Security decisions as pure functions (no Electron), so tests can prove each one:
 * which page is ours, which IPC sender is trusted, which permission is granted, the CSP.
 */

export const MEDIA_SCHEME = 'portseg-media'

/** Where the app's own page lives: the built file, or electron-vite's dev server in development. */
export interface AppPage {
  /** file:///…/out/renderer/index.html */
  fileUrl: string
  /** http://localhost:5173/ when running `electron-vite dev`; null otherwise */
  devServerUrl: string | null
}

/** True only for the app's own page (any hash, no other file, no other origin). */
export function isAppPageUrl(url: string | null | undefined, page: AppPage): boolean {
  if (typeof url !== 'string' || url === '') return false
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (u.protocol === 'file:') {
    const own = new URL(page.fileUrl)
    return u.pathname === own.pathname && u.host === own.host
  }
  if (page.devServerUrl !== null && (u.protocol === 'http:' || u.protocol === 'https:')) {
    return u.origin === new URL(page.devServerUrl).origin
  }
  return false
}

/** The parts of an IPC event the sender check looks at (Electron's IpcMainEvent has them). */
export interface SenderInfo {
  /** event.senderFrame?.url; null when the frame is gone (navigated or destroyed) */
  frameUrl: string | null
  /** senderFrame is the top frame of its page (not an iframe) */
  isTopFrame: boolean
  /** event.sender is one of the app's own windows */
  isOwnWebContents: boolean
}

/** Why a sender is refused, or null when it may talk to us. */
export function senderProblem(sender: SenderInfo, page: AppPage): string | null {
  if (!sender.isOwnWebContents) return 'the sender is not one of the app\'s windows'
  if (sender.frameUrl === null) return 'the sending frame is gone'
  if (!sender.isTopFrame) return `the sender is a sub-frame (${sender.frameUrl})`
  if (!isAppPageUrl(sender.frameUrl, page)) return `the sender's page ${sender.frameUrl} is not the app's own page`
  return null
}

/**
 * Permission requests: only the camera (and its enumeration), only for our page. Microphone
 * is refused: the app never needs audio. Everything else is refused.
 */
export function permissionDecision(
  permission: string,
  requestingUrl: string | null | undefined,
  page: AppPage,
  details: { mediaTypes?: readonly string[]; isMainFrame?: boolean } = {},
): { isGranted: boolean; why: string } {
  if (details.isMainFrame === false) return { isGranted: false, why: 'the request comes from a sub-frame' }
  if (!isAppPageUrl(requestingUrl, page)) return { isGranted: false, why: `${requestingUrl ?? 'an unknown page'} is not the app's own page` }
  if (permission === 'media') {
    const types = details.mediaTypes ?? []
    if (types.length === 0) return { isGranted: false, why: 'a media request must name its media types' }
    if (types.some((t) => t !== 'video')) return { isGranted: false, why: `only the camera is allowed (asked for ${types.join(', ')})` }
    return { isGranted: true, why: 'camera for the app\'s page' }
  }
  return { isGranted: false, why: `the app never needs "${permission}"` }
}

/** Synchronous permission checks (no media types known): camera-related checks for our page only. */
export function permissionCheckDecision(permission: string, requestingOrigin: string | null | undefined, page: AppPage, mediaType?: string): boolean {
  if (permission !== 'media') return false
  if (mediaType !== undefined && mediaType !== 'video' && mediaType !== 'unknown') return false
  // file:// pages report the origin "file://"; the dev server its own origin
  if (requestingOrigin === 'file://' || requestingOrigin === 'file:///') return page.fileUrl.startsWith('file:')
  return isAppPageUrl(requestingOrigin, page)
}

/** The page's Content-Security-Policy, sent as a header too (a meta tag alone can be raced). */
export function contentSecurityPolicy(options: { isDev: boolean; devServerUrl?: string | null }): string {
  const media = `${MEDIA_SCHEME}:`
  const devConnect = options.isDev && options.devServerUrl ? ` ${new URL(options.devServerUrl).origin.replace(/^http/, 'ws')}` : ''
  return [
    "default-src 'none'",
    // dev: Vite's React refresh preamble is an inline script
    `script-src 'self'${options.isDev ? " 'unsafe-inline'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob: ${media}`,
    `media-src 'self' blob: mediastream: ${media}`,
    `connect-src 'self' ${media}${devConnect}`,
    "worker-src 'self' blob:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Navigation away from our page is refused (links go nowhere; nothing remote loads). */
export function isNavigationAllowed(url: string, page: AppPage): boolean {
  return isAppPageUrl(url, page)
}
