/** What the engine needs from the outside world, in its own words (STYLE.md §4). */

/** Where composited frames go (the virtual camera, a file, a test). */
export interface FrameSink {
  readonly width: number
  readonly height: number
  /** RGBA, width*height*4 bytes. */
  write(frame: { width: number; height: number; data: Uint8Array }): void
  close(): void | Promise<void>
}
