import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { detectInterface, detectModelInterface, readModelIO } from '../../../src/main/engine/model-interface.js'
import { DataType, encodeModel, model, node, valueInfo } from '../../../src/main/engine/onnx/onnx-proto.js'
import { sharedFile } from '../../support/paths.js'
import { tinyRvmModelBytes } from '../../support/tiny-rvm-model.js'

const read = (...p: string[]): Uint8Array => readFileSync(sharedFile(...p))

describe('readModelIO', () => {
  it('lists graph inputs without initializers (SINet keeps its weights among the inputs)', () => {
    const io = readModelIO(read('models', 'sinet', 'SINet_Softmax.onnx'))
    expect(io.inputs).toEqual([{ name: 'data', type: 'float32', shape: [1, 3, 320, 320] }])
    expect(io.outputs).toEqual([{ name: 'Softmax/1', type: 'float32', shape: [1, 2, 320, 320] }])
  })

  it('rejects truncated bytes with MODEL_CORRUPT', () => {
    const bytes = read('models', 'reference-onnx', 'selfie_segmentation.onnx')
    expect(() => readModelIO(bytes.subarray(0, 30_000), 'cut.onnx')).toThrowError(
      expect.objectContaining({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/^cut\.onnx is not a valid ONNX file \(30000 bytes\)/) }),
    )
  })

  it('rejects a text file with MODEL_CORRUPT', () => {
    expect(() => readModelIO(read('models', 'README.md'), 'README.md')).toThrowError(expect.objectContaining({ code: 'MODEL_CORRUPT' }))
  })

  it('rejects an empty file with MODEL_CORRUPT', () => {
    expect(() => readModelIO(new Uint8Array(0), 'empty.onnx')).toThrowError(
      expect.objectContaining({ code: 'MODEL_CORRUPT', message: 'empty.onnx is not a usable ONNX model: it has no graph.' }),
    )
  })
})

describe('detectModelInterface on real models', () => {
  it('MediaPipe selfie general: NHWC 256x256 RGB 0..1, probability output', () => {
    expect(detectModelInterface(read('models', 'reference-onnx', 'selfie_segmentation.onnx'))).toEqual({
      kind: 'segmentation',
      layout: 'NHWC',
      width: 256,
      height: 256,
      preprocess: 'rgb01',
      output: 'probability',
      inputName: 'input_1:0',
      outputName: 'activation_10',
    })
  })

  it('MediaPipe selfie landscape: NHWC 256x144', () => {
    expect(detectModelInterface(read('models', 'reference-onnx', 'selfie_segmentation_landscape.onnx'))).toMatchObject({
      kind: 'segmentation',
      layout: 'NHWC',
      width: 256,
      height: 144,
      preprocess: 'rgb01',
      inputName: 'input_1',
      outputName: 'segment_back',
    })
  })

  it("SINet: NCHW 320x320 with a 2-channel softmax and SINet's preprocessing", () => {
    expect(detectModelInterface(read('models', 'sinet', 'SINet_Softmax.onnx'))).toEqual({
      kind: 'segmentation',
      layout: 'NCHW',
      width: 320,
      height: 320,
      preprocess: 'sinet',
      output: 'softmax2',
      inputName: 'data',
      outputName: 'Softmax/1',
    })
  })

  it('RVM interface, fp32 and fp16 (precision from src)', () => {
    expect(detectModelInterface(tinyRvmModelBytes('fp32'))).toMatchObject({ kind: 'recurrent-matting', precision: 'fp32' })
    expect(detectModelInterface(tinyRvmModelBytes('fp16'))).toMatchObject({ kind: 'recurrent-matting', precision: 'fp16' })
  })
})

describe('detectInterface on segmentation variants', () => {
  it('records a fixed output mask size that differs from the input size', () => {
    const iface = detectInterface([{ name: 'x', type: 'float32', shape: [1, 256, 256, 3] }], [{ name: 'y', type: 'float32', shape: [1, 128, 128, 1] }])
    expect(iface).toMatchObject({ kind: 'segmentation', width: 256, height: 256, maskWidth: 128, maskHeight: 128 })
    const same = detectInterface([{ name: 'x', type: 'float32', shape: [1, 3, 320, 320] }], [{ name: 'y', type: 'float32', shape: [1, 1, 320, 320] }])
    expect(same).toMatchObject({ layout: 'NCHW', preprocess: 'rgb01', output: 'probability' })
    expect(same).not.toHaveProperty('maskWidth')
  })
})

describe('detectInterface refuses other interfaces', () => {
  it('a classifier (image in, 1000 logits out) gets MODEL_INTERFACE_UNSUPPORTED listing what it found', () => {
    const g = {
      name: 'classifier',
      node: [node('ReduceMean', ['image'], ['logits'], [])],
      input: [valueInfo('image', DataType.FLOAT, [1, 3, 224, 224])],
      output: [valueInfo('logits', DataType.FLOAT, [1, 1000])],
    }
    const bytes = encodeModel(model(g))
    let err: unknown
    try {
      detectModelInterface(bytes, 'classifier.onnx')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'MODEL_INTERFACE_UNSUPPORTED' })
    const msg = (err as Error).message
    expect(msg).toContain('classifier.onnx has an interface PortSeg cannot drive. It has inputs: image float32 [1,3,224,224]; outputs: logits float32 [1,1000].')
    expect(msg).toContain('Expected one of: recurrent matting (RVM)')
    expect(msg).toContain('no output is a float32 rank-4 mask with 1 or 2 channels')
  })

  it('an RVM look-alike missing its states says which names are missing', () => {
    expect(() =>
      detectInterface(
        [
          { name: 'src', type: 'float32', shape: ['b', 3, 'h', 'w'] },
          { name: 'downsample_ratio', type: 'float32', shape: [1] },
        ],
        [{ name: 'pha', type: 'float32', shape: ['b', 1, 'h', 'w'] }],
      ),
    ).toThrowError(expect.objectContaining({ code: 'MODEL_INTERFACE_UNSUPPORTED', message: expect.stringContaining('r1i, r2i, r3i, r4i, fgr, r1o, r2o, r3o, r4o are missing') }))
  })

  it('an RVM with an fp16 downsample_ratio is refused (it must stay float32)', () => {
    const ins = ['src', 'r1i', 'r2i', 'r3i', 'r4i'].map((name) => ({ name, type: 'float16', shape: ['b', 3, 'h', 'w'] as (number | string)[] }))
    const outs = ['fgr', 'pha', 'r1o', 'r2o', 'r3o', 'r4o'].map((name) => ({ name, type: 'float16', shape: ['b', 1, 'h', 'w'] as (number | string)[] }))
    expect(() => detectInterface([...ins, { name: 'downsample_ratio', type: 'float16', shape: [1] }], outs)).toThrowError(
      expect.objectContaining({ message: expect.stringContaining('downsample_ratio is float16 (expected float32)') }),
    )
  })

  it('a segmentation net with dynamic height/width is refused (we need its fixed input size)', () => {
    expect(() =>
      detectInterface([{ name: 'x', type: 'float32', shape: [1, 'h', 'w', 3] }], [{ name: 'y', type: 'float32', shape: [1, 'h', 'w', 1] }]),
    ).toThrowError(expect.objectContaining({ message: expect.stringContaining('has no fixed height and width') }))
  })
})
