import { useId } from 'react'
import type { BackgroundInfo } from '../../../shared/ipc.js'
import { BLUR_PRESETS, type BackgroundKind, type Settings, type SettingsPatch } from '../../../shared/settings.js'
import { Section } from './Section.js'
import { Slider } from './Slider.js'

interface Props {
  settings: Settings
  backgrounds: BackgroundInfo[]
  onChange(patch: SettingsPatch): void
  onAdd(): void
  onRemove(id: string): void
}

const COLOR_PRESETS = ['#1e7a4f', '#24456b', '#3b3b3b', '#f2f2f2', '#00b140']

export function BackgroundSection({ settings, backgrounds, onChange, onAdd, onRemove }: Props): React.JSX.Element {
  const colorId = useId()
  const bg = settings.background
  const choose = (kind: BackgroundKind, extra: Partial<Settings['background']> = {}): void => onChange({ effectsEnabled: kind === 'none' ? settings.effectsEnabled : true, background: { kind, ...extra } })
  const isSelected = (b: BackgroundInfo): boolean => bg.kind === b.kind && (b.kind === 'image' ? bg.imageId === b.id : bg.videoId === b.id)
  return (
    <Section
      title="Background"
      aside={
        <label className="switch">
          <input type="checkbox" role="switch" checked={settings.effectsEnabled} onChange={(e) => onChange({ effectsEnabled: e.currentTarget.checked })} data-testid="effects" />
          Effects {settings.effectsEnabled ? 'on' : 'off'}
        </label>
      }
    >
      {!settings.effectsEnabled && <p className="hint warn">Effects are off: meetings see your camera as it is.</p>}
      <div role="radiogroup" aria-label="Background" className="choices">
        {(
          [
            ['none', 'None'],
            ['blur', 'Blur'],
            ['color', 'Colour'],
          ] as const
        ).map(([kind, label]) => (
          <label key={kind} className={`choice ${bg.kind === kind ? 'selected' : ''}`}>
            <input type="radio" name="bg-kind" value={kind} checked={bg.kind === kind} onChange={() => choose(kind)} data-testid={`bg-${kind}`} />
            {label}
          </label>
        ))}
        {backgrounds.map((b) => (
          <span key={b.id} className={`choice media ${isSelected(b) ? 'selected' : ''}`}>
            <label title={b.name}>
              <input type="radio" name="bg-kind" value={b.id} checked={isSelected(b)} onChange={() => choose(b.kind, b.kind === 'image' ? { imageId: b.id } : { videoId: b.id })} data-testid={`bg-saved-${b.id}`} />
              {b.kind === 'image' ? <img src={b.url} alt="" /> : <span className="video-badge" aria-hidden="true">▶</span>}
              <span className="name">{b.name}</span>
            </label>
            <button type="button" className="icon" aria-label={`Remove background ${b.name}`} onClick={() => onRemove(b.id)}>
              ×
            </button>
          </span>
        ))}
        <button type="button" className="choice add" onClick={onAdd}>
          + Image or video…
        </button>
      </div>
      {bg.kind === 'blur' && (
        <>
          <Slider label="Blur strength" value={settings.blurStrength} onChange={(v) => onChange({ blurStrength: v })} testId="blur-strength" />
          <div className="presets" role="group" aria-label="Blur presets">
            {(Object.keys(BLUR_PRESETS) as (keyof typeof BLUR_PRESETS)[]).map((p) => (
              <button key={p} type="button" aria-pressed={settings.blurStrength === BLUR_PRESETS[p]} onClick={() => onChange({ blurStrength: BLUR_PRESETS[p] })}>
                {p}
              </button>
            ))}
          </div>
        </>
      )}
      {bg.kind === 'color' && (
        <div className="field row">
          <label htmlFor={colorId}>Colour</label>
          <input id={colorId} type="color" value={bg.color} onChange={(e) => onChange({ background: { color: e.currentTarget.value } })} data-testid="bg-color-value" />
          {COLOR_PRESETS.map((c) => (
            <button key={c} type="button" className="swatch" style={{ background: c }} aria-label={`Colour ${c}`} aria-pressed={bg.color === c} onClick={() => onChange({ background: { color: c } })} />
          ))}
        </div>
      )}
    </Section>
  )
}
