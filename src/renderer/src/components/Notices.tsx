import type { AppState } from '../hooks/useAppState.js'
import { errorTitle } from '../error-text.js'

/** Errors and notices from main and from the UI, newest last; each can be dismissed. */
export function Notices({ notices, onDismiss }: { notices: AppState['notices']; onDismiss(id: string): void }): React.JSX.Element | null {
  if (notices.length === 0) return null
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => {
        const title = 'title' in n ? n.title : n.code ? errorTitle(n.code) : n.level === 'info' ? 'Note' : 'Attention'
        const hints = 'hints' in n ? n.hints : []
        const detail = 'detail' in n ? n.detail : null
        return (
          <div key={n.id} className={`notice ${n.level}`} role={n.level === 'error' ? 'alert' : 'status'} data-code={n.code ?? undefined}>
            <div>
              <strong>{title}</strong>
              <p>{n.message}</p>
              {detail && <p className="detail">{detail}</p>}
              {hints.length > 0 && (
                <ul>
                  {hints.map((h) => (
                    <li key={h}>{h}</li>
                  ))}
                </ul>
              )}
            </div>
            <button type="button" className="icon" aria-label={`Dismiss: ${title}`} onClick={() => onDismiss(n.id)}>
              ×
            </button>
          </div>
        )
      })}
    </div>
  )
}
