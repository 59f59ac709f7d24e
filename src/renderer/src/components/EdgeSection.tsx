import type { Settings, SettingsPatch } from '../../../shared/settings.js'
import { Section } from './Section.js'
import { Slider } from './Slider.js'

export function EdgeSection({ settings, onChange }: { settings: Settings; onChange(patch: SettingsPatch): void }): React.JSX.Element {
  const e = settings.edge
  return (
    <Section title="Edges">
      <Slider label="Feather" value={e.feather} onChange={(v) => onChange({ edge: { feather: v } })} hint="Softens the outline of hair and shoulders." testId="edge-feather" />
      <Slider label="Contrast" value={e.contrast} onChange={(v) => onChange({ edge: { contrast: v } })} hint="Higher makes the outline crisper, lower more transparent." testId="edge-contrast" />
      <Slider label="Light wrap" value={e.lightWrap} onChange={(v) => onChange({ edge: { lightWrap: v } })} hint="Lets background light spill onto your outline so you blend in." testId="edge-lightwrap" />
    </Section>
  )
}
