import { useId } from 'react'

interface SliderProps {
  label: string
  value: number
  onChange(value: number): void
  min?: number
  max?: number
  step?: number
  /** shown after the number, e.g. '%' */
  unit?: string
  hint?: string
  disabled?: boolean
  testId?: string
}

/** A labelled range input with its value shown; arrow keys move it (native range semantics). */
export function Slider({ label, value, onChange, min = 0, max = 100, step = 1, unit = '', hint, disabled, testId }: SliderProps): React.JSX.Element {
  const id = useId()
  return (
    <div className="field slider">
      <label htmlFor={id}>
        {label}
        <output htmlFor={id}>
          {Math.round(value)}
          {unit}
        </output>
      </label>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        disabled={disabled}
        data-testid={testId}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onChange(Number(e.currentTarget.value))}
      />
      {hint && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
    </div>
  )
}
