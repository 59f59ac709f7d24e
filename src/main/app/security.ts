/**
 * Applies the security policy (security-policy.ts) to Electron: CSP header on every response,
 * permission handlers (camera only, our page only), no navigation, no new windows, no webviews.
 */
import type { App, Session, WebContents } from 'electron'
import { contentSecurityPolicy, isNavigationAllowed, permissionCheckDecision, permissionDecision, type AppPage } from './security-policy.js'

export function hardenSession(session: Session, page: AppPage, log: (line: string) => void): void {
  const csp = contentSecurityPolicy({ isDev: page.devServerUrl !== null, devServerUrl: page.devServerUrl })
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp], 'X-Content-Type-Options': ['nosniff'] } })
  })
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? (details.mediaTypes as string[] | undefined) : undefined
    const decision = permissionDecision(permission, details.requestingUrl || contents.getURL(), page, { isMainFrame: details.isMainFrame, ...(mediaTypes ? { mediaTypes } : {}) })
    if (!decision.isGranted) log(`refused permission ${permission}: ${decision.why}`)
    callback(decision.isGranted)
  })
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) => {
    const mediaType = 'mediaType' in details ? (details.mediaType as string | undefined) : undefined
    return permissionCheckDecision(permission, requestingOrigin, page, mediaType)
  })
  // the app never downloads through the page
  session.on('will-download', (event, item) => {
    log(`refused download ${item.getURL()}: the app's page never downloads files`)
    event.preventDefault()
  })
}

/** For every webContents the app ever creates: no navigation away, no popups, no webviews. */
export function guardAllWebContents(app: App, page: AppPage, log: (line: string) => void): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (isNavigationAllowed(url, page)) return
      log(`refused navigation to ${url}: only the app's own page may load`)
      event.preventDefault()
    })
    contents.on('will-redirect', (event, url) => {
      if (isNavigationAllowed(url, page)) return
      log(`refused redirect to ${url}: only the app's own page may load`)
      event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => {
      log('refused webview: the app uses none')
      event.preventDefault()
    })
    contents.setWindowOpenHandler(({ url }) => {
      log(`refused new window ${url}: the app opens no windows from its page`)
      return { action: 'deny' }
    })
  })
}
