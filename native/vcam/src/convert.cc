// RGBA -> YUV, limited range. Written for the auto-vectoriser: one row function per format,
// restrict pointers, int32 fixed point (16 fractional bits), no branches in the inner loops.
// On x86-64 Linux each row function is also cloned for AVX2 and picked at load time (ifunc).
#include "convert.h"

#include <cstring>

namespace vcam {
namespace {

constexpr int kShift = 16;

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define VCAM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VCAM_CLONES
#endif

#if defined(__GNUC__)
#define VCAM_RESTRICT __restrict__
#else
#define VCAM_RESTRICT __restrict
#endif

struct Coeffs {
  int32_t yr, yg, yb;  // Y  = 16  + (yr R + yg G + yb B) >> 16
  int32_t ur, ug, ub;  // Cb = 128 + (ur R + ug G + ub B) >> 16
  int32_t vr, vg, vb;  // Cr = 128 + (vr R + vg G + vb B) >> 16
};

constexpr int32_t Fix(double v) { return static_cast<int32_t>(v * (1 << kShift) + (v < 0 ? -0.5 : 0.5)); }

// Coefficients from Kr/Kb. G absorbs the rounding so that grey maps exactly to Cb = Cr = 128 and
// white exactly to Y = 235.
constexpr Coeffs MakeCoeffs(double kr, double kb) {
  const double ys = 219.0 / 255.0, cs = 224.0 / 255.0;
  Coeffs c{};
  c.yr = Fix(ys * kr);
  c.yb = Fix(ys * kb);
  c.yg = Fix(ys) - c.yr - c.yb;
  c.ur = Fix(-cs * kr / (2 * (1 - kb)));
  c.ub = Fix(cs / 2);
  c.ug = -c.ur - c.ub;
  c.vr = Fix(cs / 2);
  c.vb = Fix(-cs * kb / (2 * (1 - kr)));
  c.vg = -c.vr - c.vb;
  return c;
}

constexpr Coeffs kBt601 = MakeCoeffs(0.299, 0.114);
constexpr Coeffs kBt709 = MakeCoeffs(0.2126, 0.0722);

// Rounding constants with the +16 / +128 offsets folded in. Chroma sums n pixels, so it shifts
// by log2(n) more bits and rounds once.
constexpr int32_t kYAdd = (16 << kShift) + (1 << (kShift - 1));
constexpr int32_t kC2Add = (128 << (kShift + 1)) + (1 << kShift);        // 2 pixels (4:2:2)
constexpr int32_t kC4Add = (128 << (kShift + 2)) + (1 << (kShift + 1));  // 4 pixels (4:2:0)

VCAM_CLONES void RowYuyv(const uint8_t* VCAM_RESTRICT s, uint8_t* VCAM_RESTRICT d, int pairs, Coeffs c) {
  for (int i = 0; i < pairs; ++i) {
    const int32_t r0 = s[8 * i], g0 = s[8 * i + 1], b0 = s[8 * i + 2];
    const int32_t r1 = s[8 * i + 4], g1 = s[8 * i + 5], b1 = s[8 * i + 6];
    const int32_t r = r0 + r1, g = g0 + g1, b = b0 + b1;
    d[4 * i] = static_cast<uint8_t>((c.yr * r0 + c.yg * g0 + c.yb * b0 + kYAdd) >> kShift);
    d[4 * i + 1] = static_cast<uint8_t>((c.ur * r + c.ug * g + c.ub * b + kC2Add) >> (kShift + 1));
    d[4 * i + 2] = static_cast<uint8_t>((c.yr * r1 + c.yg * g1 + c.yb * b1 + kYAdd) >> kShift);
    d[4 * i + 3] = static_cast<uint8_t>((c.vr * r + c.vg * g + c.vb * b + kC2Add) >> (kShift + 1));
  }
}

// One row of luma (both 4:2:0 formats share it).
VCAM_CLONES void RowY(const uint8_t* VCAM_RESTRICT s, uint8_t* VCAM_RESTRICT y, int width, Coeffs c) {
  for (int i = 0; i < width; ++i) {
    const int32_t r = s[4 * i], g = s[4 * i + 1], b = s[4 * i + 2];
    y[i] = static_cast<uint8_t>((c.yr * r + c.yg * g + c.yb * b + kYAdd) >> kShift);
  }
}

// Chroma of a 2-row band, interleaved (NV12).
VCAM_CLONES void RowUvInterleaved(const uint8_t* VCAM_RESTRICT s0, const uint8_t* VCAM_RESTRICT s1,
                                  uint8_t* VCAM_RESTRICT uv, int pairs, Coeffs c) {
  for (int i = 0; i < pairs; ++i) {
    const int32_t r = s0[8 * i] + s0[8 * i + 4] + s1[8 * i] + s1[8 * i + 4];
    const int32_t g = s0[8 * i + 1] + s0[8 * i + 5] + s1[8 * i + 1] + s1[8 * i + 5];
    const int32_t b = s0[8 * i + 2] + s0[8 * i + 6] + s1[8 * i + 2] + s1[8 * i + 6];
    uv[2 * i] = static_cast<uint8_t>((c.ur * r + c.ug * g + c.ub * b + kC4Add) >> (kShift + 2));
    uv[2 * i + 1] = static_cast<uint8_t>((c.vr * r + c.vg * g + c.vb * b + kC4Add) >> (kShift + 2));
  }
}

// Chroma of a 2-row band, planar (I420).
VCAM_CLONES void RowUvPlanar(const uint8_t* VCAM_RESTRICT s0, const uint8_t* VCAM_RESTRICT s1,
                             uint8_t* VCAM_RESTRICT u, uint8_t* VCAM_RESTRICT v, int pairs, Coeffs c) {
  for (int i = 0; i < pairs; ++i) {
    const int32_t r = s0[8 * i] + s0[8 * i + 4] + s1[8 * i] + s1[8 * i + 4];
    const int32_t g = s0[8 * i + 1] + s0[8 * i + 5] + s1[8 * i + 1] + s1[8 * i + 5];
    const int32_t b = s0[8 * i + 2] + s0[8 * i + 6] + s1[8 * i + 2] + s1[8 * i + 6];
    u[i] = static_cast<uint8_t>((c.ur * r + c.ug * g + c.ub * b + kC4Add) >> (kShift + 2));
    v[i] = static_cast<uint8_t>((c.vr * r + c.vg * g + c.vb * b + kC4Add) >> (kShift + 2));
  }
}

}  // namespace

size_t FrameBytes(PixelFormat format, int width, int height) {
  const size_t w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  return format == PixelFormat::kYUYV ? w * h * 2 : w * h + 2 * (w / 2) * (h / 2);
}

void ConvertRgba(const uint8_t* src, int width, int height, PixelFormat format, Matrix matrix, uint8_t* dst) {
  const Coeffs& c = matrix == Matrix::kBt709 ? kBt709 : kBt601;
  const size_t stride = static_cast<size_t>(width) * 4;
  const int pairs = width / 2;
  if (format == PixelFormat::kYUYV) {
    for (int row = 0; row < height; ++row)
      RowYuyv(src + row * stride, dst + static_cast<size_t>(row) * width * 2, pairs, c);
    return;
  }
  const size_t w = static_cast<size_t>(width);
  uint8_t* y = dst;
  uint8_t* chroma = dst + w * static_cast<size_t>(height);
  const size_t plane = static_cast<size_t>(pairs) * static_cast<size_t>(height / 2);  // one of U/V
  for (int row = 0; row < height; ++row) RowY(src + row * stride, y + row * w, width, c);
  for (int band = 0; band < height / 2; ++band) {
    const uint8_t* s0 = src + static_cast<size_t>(2 * band) * stride;
    const uint8_t* s1 = s0 + stride;
    if (format == PixelFormat::kNV12)
      RowUvInterleaved(s0, s1, chroma + static_cast<size_t>(band) * w, pairs, c);
    else
      RowUvPlanar(s0, s1, chroma + static_cast<size_t>(band) * pairs, chroma + plane + static_cast<size_t>(band) * pairs,
                  pairs, c);
  }
}

}  // namespace vcam

namespace vcam {

void ScaleRgbaFit(const uint8_t* src, int sw, int sh, uint8_t* dst, int dw, int dh) {
  // fitted size: the larger of the two that fits, rounded to whole pixels
  int fw = dw, fh = static_cast<int>(static_cast<int64_t>(sh) * dw / sw);
  if (fh > dh) {
    fh = dh;
    fw = static_cast<int>(static_cast<int64_t>(sw) * dh / sh);
  }
  const int ox = (dw - fw) / 2, oy = (dh - fh) / 2;
  const uint8_t black[4] = {0, 0, 0, 255};
  for (int y = 0; y < dh; ++y) {
    uint8_t* row = dst + static_cast<size_t>(y) * dw * 4;
    const int sy = y - oy;
    const bool inside = sy >= 0 && sy < fh;
    const uint8_t* srow = inside ? src + static_cast<size_t>(static_cast<int64_t>(sy) * sh / fh) * sw * 4 : nullptr;
    for (int x = 0; x < dw; ++x) {
      const int sx = x - ox;
      // memcpy: the JS buffers need not be 4-byte aligned
      const uint8_t* p = inside && sx >= 0 && sx < fw ? srow + static_cast<size_t>(static_cast<int64_t>(sx) * sw / fw) * 4 : black;
      std::memcpy(row + static_cast<size_t>(x) * 4, p, 4);
    }
  }
}

}  // namespace vcam
