import type { EngineStatusInfo, PipelineStats as MainStats, VcamStatus } from '../../../shared/ipc.js'
import type { PipelineStats } from '../pipeline/video-pipeline.js'

const STATE_TEXT: Record<PipelineStats['state'], string> = {
  starting: 'Starting…',
  live: 'Live',
  holding: 'Holding last frame',
  privacy: 'Privacy blur',
  passthrough: 'Effects off',
  'no-camera': 'No camera',
}

function fmt(x: number | null | undefined, unit: string): string {
  return x === null || x === undefined ? '–' : `${Math.round(x)} ${unit}`
}

/** fps, inference ms, end-to-end latency, dropped frames and the virtual camera, once a second. */
export function StatusLine({ stats, mainStats, engine, vcam }: { stats: PipelineStats | null; mainStats: MainStats | null; engine: EngineStatusInfo | null; vcam: VcamStatus | null }): React.JSX.Element {
  const inferenceMs = stats?.inferenceMs ?? mainStats?.inferenceMs ?? engine?.lastInferenceMs ?? null
  const dropped = (stats?.skippedAtSource ?? 0) + (stats?.mattesMissing ?? 0)
  return (
    <div
      className={`status-line state-${stats?.state ?? 'starting'}`}
      role="status"
      aria-label="Pipeline status"
      data-testid="status-line"
      data-state={stats?.state ?? 'starting'}
      data-output-fps={stats?.outputFps ?? ''}
      data-latency-ms={stats?.latencyMs ?? ''}
      data-latency-p95-ms={stats?.latencyP95Ms ?? ''}
      data-inference-ms={inferenceMs ?? ''}
      data-compose-ms={stats?.composeMs ?? ''}
      data-background-media={stats?.backgroundMedia ?? 'none'}
    >
      <span className="state">{STATE_TEXT[stats?.state ?? 'starting']}</span>
      <span title="Fresh composited frames per second handed to the virtual camera">{stats ? `${stats.outputFps.toFixed(1)} fps` : '– fps'}</span>
      <span title="Model inference time">inference {fmt(inferenceMs, 'ms')}</span>
      <span title="GPU compositing and read-back per frame">compose {fmt(stats?.composeMs, 'ms')}</span>
      <span title="Camera capture → frame handed to the virtual camera">latency {fmt(stats?.latencyMs, 'ms')}</span>
      <span title="Frames skipped at the camera or dropped by the engine's flow limiter">dropped {dropped}</span>
      <span title={vcam?.message ?? ''}>virtual camera: {vcam ? vcam.state.replace('-', ' ') : '–'}</span>
    </div>
  )
}
