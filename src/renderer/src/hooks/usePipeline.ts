import { useEffect, useRef, useState, type RefObject } from 'react'
import type { BackgroundInfo } from '../../../shared/ipc.js'
import type { Settings } from '../../../shared/settings.js'
import { listCameras } from '../pipeline/camera.js'
import { VideoPipeline, type BackgroundMedia, type PipelineStats } from '../pipeline/video-pipeline.js'

export interface PipelineView {
  stats: PipelineStats | null
  cameras: MediaDeviceInfo[]
  activeCamera: { deviceId: string | null; label: string } | null
  startError: string | null
}

/** Owns the VideoPipeline for the preview canvas and feeds it every settings change. */
export function usePipeline(canvasRef: RefObject<HTMLCanvasElement | null>, settings: Settings | null, backgrounds: BackgroundInfo[]): PipelineView {
  const pipelineRef = useRef<VideoPipeline | null>(null)
  const [stats, setStats] = useState<PipelineStats | null>(null)
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([])
  const [activeCamera, setActiveCamera] = useState<PipelineView['activeCamera']>(null)
  const [startError, setStartError] = useState<string | null>(null)
  const hasSettings = settings !== null
  const settingsRef = useRef(settings)
  useEffect(() => {
    settingsRef.current = settings
  }, [settings])

  // one pipeline per window, started once the settings are known
  useEffect(() => {
    const canvas = canvasRef.current
    const initial = settingsRef.current
    if (!canvas || !initial) return
    let pipeline: VideoPipeline
    try {
      pipeline = new VideoPipeline(canvas, window.portseg, {
        onStats: setStats,
        onCameraChange: (cam) => {
          setActiveCamera(cam)
          // labels appear only after permission: list again once a camera is open
          void listCameras().then(setCameras)
        },
      })
    } catch (e) {
      const message = `The preview could not start its GPU compositor (${e instanceof Error ? e.message : String(e)}).`
      queueMicrotask(() => setStartError(message))
      return
    }
    pipelineRef.current = pipeline
    pipeline.start(initial).catch((e: unknown) => setStartError(e instanceof Error ? e.message : String(e)))
    const onDeviceChange = (): void => void listCameras().then(setCameras)
    navigator.mediaDevices?.addEventListener?.('devicechange', onDeviceChange)
    return () => {
      navigator.mediaDevices?.removeEventListener?.('devicechange', onDeviceChange)
      pipeline.stop()
      pipelineRef.current = null
    }
  }, [canvasRef, hasSettings])

  useEffect(() => {
    if (settings) void pipelineRef.current?.apply(settings)
  }, [settings])

  const kind = settings?.background.kind
  const mediaId = kind === 'image' ? settings?.background.imageId : kind === 'video' ? settings?.background.videoId : null
  const media: BackgroundMedia | null = (() => {
    if (kind !== 'image' && kind !== 'video') return null
    const b = backgrounds.find((x) => x.id === mediaId && x.kind === kind)
    return b ? { kind: b.kind, url: b.url } : null
  })()
  const mediaUrl = media?.url ?? null
  const mediaKind = media?.kind ?? null
  useEffect(() => {
    void pipelineRef.current?.setBackgroundMedia(mediaUrl && mediaKind ? { kind: mediaKind, url: mediaUrl } : null)
  }, [mediaUrl, mediaKind, hasSettings])

  return { stats, cameras, activeCamera, startError }
}
