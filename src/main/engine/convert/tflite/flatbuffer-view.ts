import { ByteBuffer } from 'flatbuffers'
import { PortsegError } from '../../../../shared/errors.js'

/**
 * Bounds-checked access to FlatBuffer tables on top of the flatbuffers runtime's ByteBuffer.
 * The runtime trusts its input (an out-of-range read yields 0 or NaN, silently), so every
 * offset is checked here before it is followed: a truncated or corrupt file becomes a
 * MODEL_CORRUPT error that says where it broke, never a garbage model.
 */
export class FlatbufferView {
  readonly bb: ByteBuffer
  readonly size: number

  constructor(
    readonly bytes: Uint8Array,
    readonly label: string,
  ) {
    this.bb = new ByteBuffer(bytes)
    this.size = bytes.length
  }

  corrupt(reason: string): PortsegError {
    return new PortsegError('MODEL_CORRUPT', `${this.label} is not a valid TFLite model: ${reason}.`, {
      hints: [
        'The file may be truncated or damaged: reinstall the package it came from (npm ci) or download it again.',
        'Only TFLite flatbuffers (file identifier "TFL3") can be converted.',
      ],
    })
  }

  need(pos: number, length: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || length < 0 || pos + length > this.size) {
      throw this.corrupt(`${what} at byte ${pos} (+${length}) lies outside the file (${this.size} bytes)`)
    }
  }

  u8(pos: number): number {
    this.need(pos, 1, 'a byte')
    return this.bb.readUint8(pos)
  }
  u16(pos: number): number {
    this.need(pos, 2, 'a 16-bit value')
    return this.bb.readUint16(pos)
  }
  i32(pos: number): number {
    this.need(pos, 4, 'a 32-bit value')
    return this.bb.readInt32(pos)
  }
  u32(pos: number): number {
    this.need(pos, 4, 'a 32-bit value')
    return this.bb.readUint32(pos)
  }
  u64(pos: number): number {
    this.need(pos, 8, 'a 64-bit value')
    const v = this.bb.readUint64(pos)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.corrupt(`a 64-bit offset at byte ${pos} is too large`)
    return Number(v)
  }

  /** The root table, after checking the 4-character file identifier. */
  root(identifier: string): TableView {
    if (this.size < 8) throw this.corrupt(`the file is only ${this.size} bytes long`)
    const id = String.fromCharCode(...this.bytes.subarray(4, 8))
    if (id !== identifier) {
      throw this.corrupt(`the file identifier is ${JSON.stringify(id)}, expected ${JSON.stringify(identifier)}`)
    }
    return this.table(this.u32(0), 'the root table')
  }

  table(pos: number, what: string): TableView {
    this.need(pos, 4, what)
    const vtable = pos - this.i32(pos)
    this.need(vtable, 4, `the vtable of ${what}`)
    const vtableSize = this.u16(vtable)
    const objectSize = this.u16(vtable + 2)
    if (vtableSize < 4 || vtableSize % 2 !== 0) throw this.corrupt(`the vtable of ${what} has a bad size (${vtableSize})`)
    this.need(vtable, vtableSize, `the vtable of ${what}`)
    this.need(pos, objectSize, what)
    return new TableView(this, pos, vtable, vtableSize, objectSize, what)
  }
}

export interface VectorRef {
  /** Byte position of the first element. */
  start: number
  length: number
}

/** One table: fields are addressed by slot (declaration order in the .fbs, unions take two). */
export class TableView {
  constructor(
    readonly view: FlatbufferView,
    readonly pos: number,
    private readonly vtable: number,
    private readonly vtableSize: number,
    private readonly objectSize: number,
    readonly what: string,
  ) {}

  /** Absolute position of a field, or 0 when absent. */
  field(slot: number, width: number): number {
    const entry = 4 + 2 * slot
    if (entry + 2 > this.vtableSize) return 0
    const off = this.view.u16(this.vtable + entry)
    if (off === 0) return 0
    if (off + width > this.objectSize) throw this.view.corrupt(`field ${slot} of ${this.what} overruns its table`)
    return this.pos + off
  }

  has(slot: number): boolean {
    return this.field(slot, 1) !== 0
  }
  i8(slot: number, dflt = 0): number {
    const p = this.field(slot, 1)
    return p ? (this.view.u8(p) << 24) >> 24 : dflt
  }
  u8(slot: number, dflt = 0): number {
    const p = this.field(slot, 1)
    return p ? this.view.u8(p) : dflt
  }
  bool(slot: number, dflt = false): boolean {
    const p = this.field(slot, 1)
    return p ? this.view.u8(p) !== 0 : dflt
  }
  i32(slot: number, dflt = 0): number {
    const p = this.field(slot, 4)
    return p ? this.view.i32(p) : dflt
  }
  u32(slot: number, dflt = 0): number {
    const p = this.field(slot, 4)
    return p ? this.view.u32(p) : dflt
  }
  u64(slot: number, dflt = 0): number {
    const p = this.field(slot, 8)
    return p ? this.view.u64(p) : dflt
  }

  private target(slot: number): number {
    const p = this.field(slot, 4)
    if (!p) return 0
    const t = p + this.view.u32(p)
    this.view.need(t, 4, `field ${slot} of ${this.what}`)
    return t
  }

  /** A vector of fixed-size elements, checked to fit in the file. */
  vector(slot: number, elementSize: number): VectorRef | null {
    const t = this.target(slot)
    if (!t) return null
    const length = this.view.u32(t)
    this.view.need(t + 4, length * elementSize, `the vector in field ${slot} of ${this.what}`)
    return { start: t + 4, length }
  }

  int32s(slot: number): number[] {
    const v = this.vector(slot, 4)
    if (!v) return []
    const out = new Array<number>(v.length)
    for (let i = 0; i < v.length; i++) out[i] = this.view.bb.readInt32(v.start + 4 * i)
    return out
  }

  bytes(slot: number): Uint8Array | null {
    const v = this.vector(slot, 1)
    return v ? this.view.bytes.subarray(v.start, v.start + v.length) : null
  }

  string(slot: number): string | null {
    const b = this.bytes(slot)
    return b ? new TextDecoder('utf-8', { fatal: false }).decode(b) : null
  }

  /** A sub-table, or null when absent. */
  table(slot: number, what: string): TableView | null {
    const t = this.target(slot)
    return t ? this.view.table(t, what) : null
  }

  tables(slot: number, what: string): TableView[] {
    const v = this.vector(slot, 4)
    if (!v) return []
    const out: TableView[] = []
    for (let i = 0; i < v.length; i++) {
      const p = v.start + 4 * i
      out.push(this.view.table(p + this.view.u32(p), `${what} ${i}`))
    }
    return out
  }
}
