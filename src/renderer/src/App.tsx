import { useRef } from 'react'
import { BackgroundSection } from './components/BackgroundSection.js'
import { CameraSection } from './components/CameraSection.js'
import { EdgeSection } from './components/EdgeSection.js'
import { ModelSection } from './components/ModelSection.js'
import { Notices } from './components/Notices.js'
import { StatusLine } from './components/StatusLine.js'
import { VcamSection } from './components/VcamSection.js'
import { useAppState } from './hooks/useAppState.js'
import { usePipeline } from './hooks/usePipeline.js'

/** The settings window: live preview on the left, settings on the right, status along the bottom. */
export function App(): React.JSX.Element {
  const [state, actions] = useAppState()
  const canvasRef = useRef<HTMLCanvasElement | null>(null)
  const { stats, cameras, activeCamera, startError } = usePipeline(canvasRef, state.settings, state.backgrounds)
  const { settings } = state
  const problem = startError ?? stats?.problem ?? null

  return (
    <div className="app">
      <main className="preview-pane">
        <div className="preview" data-state={stats?.state ?? 'starting'}>
          <canvas ref={canvasRef} data-testid="preview" aria-label="Preview of what meetings see" />
          {stats && stats.state !== 'live' && stats.state !== 'passthrough' && (
            <div className={`badge ${stats.state}`} role="status">
              {stats.state === 'privacy' ? 'Privacy blur' : stats.state === 'holding' ? 'Waiting for the engine' : stats.state === 'no-camera' ? 'No camera' : 'Starting…'}
            </div>
          )}
        </div>
        {problem && (
          <p className="problem" role="alert" data-testid="pipeline-problem">
            {problem}
          </p>
        )}
        <StatusLine stats={stats} mainStats={state.mainStats} engine={state.engine} vcam={state.vcam} />
        <Notices notices={state.notices} onDismiss={actions.dismiss} />
      </main>
      <aside className="settings" aria-label="Settings">
        {settings === null ? (
          <p>Loading settings…</p>
        ) : (
          <>
            <BackgroundSection
              settings={settings}
              backgrounds={state.backgrounds}
              onChange={(p) => void actions.update(p)}
              onAdd={() =>
                void actions.run(() => window.portseg.backgrounds.add()).then(async (added) => {
                  if (!added) return
                  await actions.refreshBackgrounds()
                  await actions.update({ effectsEnabled: true, background: added.kind === 'image' ? { kind: 'image', imageId: added.id } : { kind: 'video', videoId: added.id } })
                })
              }
              onRemove={(id) => void actions.run(() => window.portseg.backgrounds.remove(id)).then(() => actions.refreshBackgrounds())}
            />
            <EdgeSection settings={settings} onChange={(p) => void actions.update(p)} />
            <CameraSection settings={settings} cameras={cameras} activeCamera={activeCamera} onChange={(p) => void actions.update(p)} />
            <ModelSection
              settings={settings}
              models={state.models}
              downloads={state.downloads}
              engine={state.engine}
              onChange={(p) => void actions.update(p)}
              onDownload={(id, acceptLicense) => void actions.run(() => window.portseg.models.download(id, { acceptLicense })).then(() => actions.refreshModels())}
              onCancel={(id) => void actions.run(() => window.portseg.models.cancelDownload(id))}
              onImport={() => void actions.run(() => window.portseg.models.import()).then(() => actions.refreshModels())}
              onRestart={() => void actions.run(() => window.portseg.engine.restart())}
            />
            <VcamSection
              settings={settings}
              vcam={state.vcam}
              onChange={(p) => void actions.update(p)}
              onFix={async () => {
                const r = await actions.run(() => window.portseg.vcam.fix())
                if (r) actions.setVcam(r.status)
                return r
              }}
            />
          </>
        )}
      </aside>
    </div>
  )
}
