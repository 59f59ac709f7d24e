import { useState } from 'react'
import type { VcamStatus } from '../../../shared/ipc.js'
import type { Settings, SettingsPatch } from '../../../shared/settings.js'
import { Section } from './Section.js'

interface Props {
  settings: Settings
  vcam: VcamStatus | null
  onChange(patch: SettingsPatch): void
  onFix(): Promise<{ ran: boolean; output: string } | null>
}

const GOOD = new Set(['running', 'ready'])

export function VcamSection({ settings, vcam, onChange, onFix }: Props): React.JSX.Element {
  const [isFixing, setFixing] = useState(false)
  const [fixOutput, setFixOutput] = useState<string | null>(null)
  const [isConfirming, setConfirming] = useState(false)
  return (
    <Section title="Virtual camera">
      <label className="check">
        <input type="checkbox" checked={settings.vcam.enabled} onChange={(e) => onChange({ vcam: { enabled: e.currentTarget.checked } })} />
        Send to “PortSeg Camera”
      </label>
      <p className={`vcam-status ${vcam && GOOD.has(vcam.state) ? 'ok' : 'warn'}`} data-testid="vcam-status">
        {vcam ? vcam.message : 'Checking the virtual camera…'}
        {vcam?.device && <small className="hint"> ({vcam.device}{vcam.width ? `, ${vcam.width}×${vcam.height}` : ''})</small>}
      </p>
      {vcam?.fix && (
        <div className="fix">
          <p>{vcam.fix.description}</p>
          {vcam.fix.command && <code>{vcam.fix.command}</code>}
          {vcam.fix.canRunForUser &&
            (isConfirming ? (
              <div className="row">
                <span>This asks for your administrator password. Continue?</span>
                <button
                  type="button"
                  disabled={isFixing}
                  onClick={() => {
                    setFixing(true)
                    void onFix().then((r) => {
                      setFixing(false)
                      setConfirming(false)
                      setFixOutput(r ? (r.ran ? r.output || 'Done.' : 'Not run.') : null)
                    })
                  }}
                >
                  {isFixing ? 'Fixing…' : 'Yes, fix it'}
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            ) : (
              <button type="button" onClick={() => setConfirming(true)}>
                Fix it
              </button>
            ))}
          {fixOutput && <pre className="fix-output">{fixOutput}</pre>}
        </div>
      )}
    </Section>
  )
}
