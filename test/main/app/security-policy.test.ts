import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy, isAppPageUrl, isNavigationAllowed, permissionCheckDecision, permissionDecision, senderProblem, type AppPage } from '../../../src/main/app/security-policy.js'

const packaged: AppPage = { fileUrl: 'file:///opt/PortSeg/resources/app.asar/out/renderer/index.html', devServerUrl: null }
const dev: AppPage = { fileUrl: 'file:///src/out/renderer/index.html', devServerUrl: 'http://localhost:5173/' }

describe('security policy', () => {
  it('knows the app page and nothing else', () => {
    expect(isAppPageUrl(`${packaged.fileUrl}#x`, packaged)).toBe(true)
    expect(isAppPageUrl('file:///opt/PortSeg/resources/app.asar/out/renderer/other.html', packaged)).toBe(false)
    expect(isAppPageUrl('http://localhost:5173/', packaged)).toBe(false)
    expect(isAppPageUrl('http://localhost:5173/index.html', dev)).toBe(true)
    expect(isAppPageUrl('http://localhost:5174/', dev)).toBe(false)
    expect(isAppPageUrl('not a url', dev)).toBe(false)
    expect(isNavigationAllowed('https://example.com', packaged)).toBe(false)
  })

  it('grants the camera only, only to the app page, only from the top frame', () => {
    expect(permissionDecision('media', packaged.fileUrl, packaged, { mediaTypes: ['video'], isMainFrame: true })).toEqual({ isGranted: true, why: "camera for the app's page" })
    expect(permissionDecision('media', packaged.fileUrl, packaged, { mediaTypes: ['video', 'audio'] })).toEqual({ isGranted: false, why: 'only the camera is allowed (asked for video, audio)' })
    expect(permissionDecision('media', packaged.fileUrl, packaged, {}).isGranted).toBe(false)
    expect(permissionDecision('media', 'https://evil.example/', packaged, { mediaTypes: ['video'] })).toEqual({ isGranted: false, why: "https://evil.example/ is not the app's own page" })
    expect(permissionDecision('media', packaged.fileUrl, packaged, { mediaTypes: ['video'], isMainFrame: false }).isGranted).toBe(false)
    for (const p of ['geolocation', 'notifications', 'clipboard-read', 'display-capture', 'openExternal']) expect(permissionDecision(p, packaged.fileUrl, packaged).isGranted).toBe(false)
    expect(permissionCheckDecision('media', 'file://', packaged, 'video')).toBe(true)
    expect(permissionCheckDecision('media', 'file://', packaged, 'audio')).toBe(false)
    expect(permissionCheckDecision('media', 'https://evil.example', packaged, 'video')).toBe(false)
    expect(permissionCheckDecision('geolocation', 'file://', packaged)).toBe(false)
  })

  it('refuses senders that are not our top-level page', () => {
    const ok = { frameUrl: packaged.fileUrl, isTopFrame: true, isOwnWebContents: true }
    expect(senderProblem(ok, packaged)).toBeNull()
    expect(senderProblem({ ...ok, isTopFrame: false }, packaged)).toBe(`the sender is a sub-frame (${packaged.fileUrl})`)
    expect(senderProblem({ ...ok, frameUrl: 'http://localhost:5173/' }, packaged)).toBe("the sender's page http://localhost:5173/ is not the app's own page")
  })

  it('has a strict CSP: no remote origins, no eval, inline scripts only for the dev server', () => {
    const csp = contentSecurityPolicy({ isDev: false })
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self';")
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/)
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    const devCsp = contentSecurityPolicy({ isDev: true, devServerUrl: dev.devServerUrl })
    expect(devCsp).toContain("script-src 'self' 'unsafe-inline'")
    expect(devCsp).toContain('ws://localhost:5173')
  })
})
