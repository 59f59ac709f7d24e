import { useId, useState } from 'react'
import type { DownloadProgress, EngineStatusInfo, ModelInfo } from '../../../shared/ipc.js'
import type { ProviderPreference, Settings, SettingsPatch } from '../../../shared/settings.js'
import { Section } from './Section.js'

interface Props {
  settings: Settings
  models: ModelInfo[]
  downloads: Record<string, DownloadProgress>
  engine: EngineStatusInfo | null
  onChange(patch: SettingsPatch): void
  onDownload(id: string, acceptLicense: boolean): void
  onCancel(id: string): void
  onImport(): void
  onRestart(): void
}

const PROVIDER_TEXT: Record<string, string> = { cuda: 'GPU (CUDA)', dml: 'GPU (DirectML)', coreml: 'GPU (Core ML)', webgpu: 'GPU (WebGPU)', cpu: 'CPU' }

function mb(bytes: number | null): string {
  return bytes === null ? '' : `${(bytes / 1e6).toFixed(1)} MB`
}

export function ModelSection({ settings, models, downloads, engine, onChange, onDownload, onCancel, onImport, onRestart }: Props): React.JSX.Element {
  const modelId = useId()
  const providerId = useId()
  const [confirming, setConfirming] = useState<string | null>(null)
  const current = models.find((m) => m.id === settings.modelId)
  const selected = engine?.provider?.selected
  const skipped = engine?.provider?.attempts.filter((a) => !a.ok) ?? []
  return (
    <Section title="Model">
      <div className="field">
        <label htmlFor={modelId}>Matting model</label>
        <select id={modelId} value={settings.modelId} onChange={(e) => onChange({ modelId: e.currentTarget.value })}>
          {models.map((m) => (
            <option key={m.id} value={m.id} disabled={!m.isInstalled}>
              {m.name}
              {m.isInstalled ? '' : ' (download first)'}
            </option>
          ))}
          {!current && <option value={settings.modelId}>{settings.modelId}</option>}
        </select>
      </div>
      <ul className="models">
        {models
          .filter((m) => !m.isInstalled || m.origin !== 'built-in')
          .map((m) => {
            const d = downloads[m.id]
            const isActive = d && (d.state === 'downloading' || d.state === 'verifying')
            return (
              <li key={m.id}>
                <div>
                  <strong>{m.name}</strong> <small>{m.interface === 'recurrent-matting' ? 'video matting' : 'segmentation'}</small>
                  <div className="hint">
                    License: {m.licenseUrl ? <a href={m.licenseUrl}>{m.license}</a> : m.license}
                    {m.sizeBytes ? ` · ${mb(m.sizeBytes)}` : ''} · {m.origin}
                  </div>
                  {m.description && <div className="hint">{m.description}</div>}
                  {isActive && (
                    <progress max={d.totalBytes ?? undefined} value={d.receivedBytes} aria-label={`Downloading ${m.name}`}>
                      {mb(d.receivedBytes)}
                    </progress>
                  )}
                  {d?.state === 'failed' && d.error && <div className="hint warn">{d.error.message}</div>}
                  {confirming === m.id && (
                    <div className="license-confirm" role="group" aria-label={`License of ${m.name}`}>
                      <p>{m.licenseNotice}</p>
                      <button
                        type="button"
                        onClick={() => {
                          setConfirming(null)
                          onDownload(m.id, true)
                        }}
                      >
                        {m.needsLicenseAcceptance ? 'Accept license and download' : 'Download'}
                      </button>{' '}
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </div>
                  )}
                </div>
                {!m.isInstalled &&
                  (isActive ? (
                    <button type="button" onClick={() => onCancel(m.id)}>
                      Cancel
                    </button>
                  ) : (
                    <button type="button" onClick={() => setConfirming(m.id)} aria-expanded={confirming === m.id}>
                      Download ({m.license})
                    </button>
                  ))}
              </li>
            )
          })}
      </ul>
      <button type="button" onClick={onImport}>
        Import a model file…
      </button>
      <div className="row">
        <div className="field">
          <label htmlFor={providerId}>Run on</label>
          <select id={providerId} value={settings.provider} onChange={(e) => onChange({ provider: e.currentTarget.value as ProviderPreference })}>
            <option value="auto">Automatic (GPU when available)</option>
            {['cuda', 'dml', 'coreml', 'webgpu', 'cpu'].map((p) => (
              <option key={p} value={p}>
                {PROVIDER_TEXT[p]}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={onRestart}>
          Restart engine
        </button>
      </div>
      <p className="provider" data-testid="provider">
        {engine === null
          ? 'Engine status unknown.'
          : engine.state === 'running' && selected
            ? `Running on ${PROVIDER_TEXT[selected] ?? selected}${engine.lastInferenceMs !== null ? `, ${Math.round(engine.lastInferenceMs)} ms per frame` : ''}.`
            : `Engine ${engine.state}.`}
        {skipped.length > 0 && (
          <span className="hint">
            {' '}
            Not used: {skipped.map((a) => `${PROVIDER_TEXT[a.provider] ?? a.provider}: ${a.reason}`).join('; ')}
          </span>
        )}
        {engine?.error && <span className="hint warn"> {engine.error.message}</span>}
      </p>
    </Section>
  )
}
