// RGBA -> YUV conversion (limited range, BT.601 / BT.709), plain C++ with no Node-API, so it can
// be tested and benchmarked on its own. Fixed-point integer math, branch-free inner loops.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vcam {

enum class Matrix { kBt601 = 0, kBt709 = 1 };
enum class PixelFormat { kYUYV = 0, kNV12 = 1, kI420 = 2 };

// Bytes of one frame in `format`; width must be even (and height too for 4:2:0 formats).
size_t FrameBytes(PixelFormat format, int width, int height);

// Converts tightly packed RGBA (width*4 bytes per row; alpha ignored) into `dst`, which must hold
// FrameBytes(format, width, height). Chroma is the exact average over 2x1 (YUYV) or 2x2
// (NV12/I420) pixels, rounded once. The caller validates sizes.
void ConvertRgba(const uint8_t* src, int width, int height, PixelFormat format, Matrix matrix,
                 uint8_t* dst);

}  // namespace vcam

namespace vcam {

// Nearest-neighbour scale of RGBA `src` into RGBA `dst`, keeping the aspect ratio and filling
// the bars with black. Used only when a consumer pins the old size after a size change.
void ScaleRgbaFit(const uint8_t* src, int src_width, int src_height, uint8_t* dst, int dst_width, int dst_height);

}  // namespace vcam
