import { useId } from 'react'
import { OUTPUT_MODES, type OutputMode, type Settings, type SettingsPatch } from '../../../shared/settings.js'
import { Section } from './Section.js'

interface Props {
  settings: Settings
  cameras: MediaDeviceInfo[]
  activeCamera: { deviceId: string | null; label: string } | null
  onChange(patch: SettingsPatch): void
}

export function CameraSection({ settings, cameras, activeCamera, onChange }: Props): React.JSX.Element {
  const camId = useId()
  const modeId = useId()
  const fitId = useId()
  const selected = settings.camera.deviceId ?? ''
  const known = cameras.some((c) => c.deviceId === selected)
  return (
    <Section title="Camera">
      <div className="field">
        <label htmlFor={camId}>Camera</label>
        <select
          id={camId}
          value={selected}
          onChange={(e) => {
            const cam = cameras.find((c) => c.deviceId === e.currentTarget.value)
            onChange({ camera: { deviceId: e.currentTarget.value || null, label: cam?.label ?? null } })
          }}
        >
          <option value="">System default{activeCamera && !settings.camera.deviceId ? ` (${activeCamera.label})` : ''}</option>
          {cameras.map((c, i) => (
            <option key={c.deviceId || i} value={c.deviceId}>
              {c.label || `Camera ${i + 1}`}
            </option>
          ))}
          {selected && !known && <option value={selected}>{settings.camera.label ?? 'Saved camera'} (not connected)</option>}
        </select>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={modeId}>Output resolution</label>
          <select id={modeId} value={settings.output} onChange={(e) => onChange({ output: e.currentTarget.value as OutputMode })}>
            {(Object.keys(OUTPUT_MODES) as OutputMode[]).map((m) => (
              <option key={m} value={m}>
                {OUTPUT_MODES[m].width}×{OUTPUT_MODES[m].height} at {OUTPUT_MODES[m].fps} fps
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={fitId}>When the shape differs</label>
          <select id={fitId} value={settings.outputFit} onChange={(e) => onChange({ outputFit: e.currentTarget.value as 'crop' | 'pad' })}>
            <option value="crop">Crop to fill</option>
            <option value="pad">Fit with bars</option>
          </select>
        </div>
      </div>
      <label className="check">
        <input type="checkbox" checked={settings.mirrorPreview} onChange={(e) => onChange({ mirrorPreview: e.currentTarget.checked })} data-testid="mirror" />
        Mirror the preview <small className="hint">(others always see you unmirrored)</small>
      </label>
    </Section>
  )
}
