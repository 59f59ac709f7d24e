// vcam.node: flat Node-API functions (sharp style). lib/binding.ts declares their types; every
// argument was validated there already, so C++ only checks what JS cannot know (ioctl, errno).
// Failures become JS errors with { code: 'EBUSY'…, errno, syscall, path }; no C++ exception
// crosses into JS (none are thrown: the code below uses no throwing std calls on the hot path).
//
//   platformSupported: boolean
//   listDevices(): { path, card, driver, bus, capabilities, deviceCaps, openErrno }[]      sync
//   open(path, width, height, fourcc, fps, bt709): { fd, width, height, fourcc, bytesPerLine,
//        sizeImage, deviceCaps, fpsSet, streamOn }                                          sync
//   write(fd, data: Uint8Array): void                                                        sync
//   close(fd): void                                                                          sync
//   convert(src, width, height, format 0=YUYV 1=NV12 2=I420, matrix 0=601 1=709, dst): void  sync
//   convertAsync(same arguments): Promise<void> (libuv worker; the buffers are pinned meanwhile)
//   scaleFit(src, srcWidth, srcHeight, dst, dstWidth, dstHeight): void                       sync
#define NAPI_VERSION 8
#include <node_api.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "convert.h"
#include "device.h"

namespace {

#define CALL(env, expr)                                                              \
  do {                                                                               \
    if ((expr) != napi_ok) {                                                         \
      ThrowPending(env, #expr);                                                      \
      return nullptr;                                                                \
    }                                                                                \
  } while (0)

void ThrowPending(napi_env env, const char* what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "EADDON", (std::string("vcam.node internal error: ") + what).c_str());
}

const char* ErrnoName(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case ENOTTY: return "ENOTTY";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOSPC: return "ENOSPC";
    case ENOSYS: return "ENOSYS";
    default: return "EUNKNOWN";
  }
}

void SetString(napi_env env, napi_value obj, const char* key, const std::string& value) {
  napi_value v;
  napi_create_string_utf8(env, value.c_str(), value.size(), &v);
  napi_set_named_property(env, obj, key, v);
}
void SetNumber(napi_env env, napi_value obj, const char* key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}
void SetBool(napi_env env, napi_value obj, const char* key, bool value) {
  napi_value v;
  napi_get_boolean(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

napi_value MakeSysError(napi_env env, const vcam::SysError& e) {
  std::string msg = e.syscall + " failed";
  if (!e.path.empty()) msg += " on " + e.path;
  msg += ": ";
  msg += std::strerror(e.err);
  napi_value code, message, error;
  napi_create_string_utf8(env, ErrnoName(e.err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg.c_str(), msg.size(), &message);
  napi_create_error(env, code, message, &error);
  SetNumber(env, error, "errno", e.err);
  SetString(env, error, "syscall", e.syscall);
  SetString(env, error, "path", e.path);
  return error;
}

napi_value ThrowSys(napi_env env, const vcam::SysError& e) {
  napi_throw(env, MakeSysError(env, e));
  return nullptr;
}

bool GetArgs(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return false;
  if (argc < want) {
    napi_throw_type_error(env, "EARGS", ("vcam.node: expected " + std::to_string(want) + " arguments").c_str());
    return false;
  }
  return true;
}

bool GetInt(napi_env env, napi_value v, int32_t* out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "EARGS", "vcam.node: expected an integer");
    return false;
  }
  return true;
}

bool GetBytes(napi_env env, napi_value v, uint8_t** data, size_t* length) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed) {
    napi_throw_type_error(env, "EARGS", "vcam.node: expected a Uint8Array");
    return false;
  }
  napi_typedarray_type type;
  void* ptr = nullptr;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, nullptr, nullptr) != napi_ok ||
      (type != napi_uint8_array && type != napi_uint8_clamped_array)) {
    napi_throw_type_error(env, "EARGS", "vcam.node: expected a Uint8Array");
    return false;
  }
  *data = static_cast<uint8_t*>(ptr);
  return true;
}

napi_value ListDevices(napi_env env, napi_callback_info) {
  std::vector<vcam::DeviceInfo> devices;
  vcam::SysError err;
  if (!vcam::ListDevices(&devices, &err)) return ThrowSys(env, err);
  napi_value array;
  CALL(env, napi_create_array_with_length(env, devices.size(), &array));
  for (size_t i = 0; i < devices.size(); ++i) {
    const vcam::DeviceInfo& d = devices[i];
    napi_value o;
    CALL(env, napi_create_object(env, &o));
    SetString(env, o, "path", d.path);
    SetString(env, o, "card", d.card);
    SetString(env, o, "driver", d.driver);
    SetString(env, o, "bus", d.bus);
    SetNumber(env, o, "capabilities", d.capabilities);
    SetNumber(env, o, "deviceCaps", d.device_caps);
    SetNumber(env, o, "openErrno", d.open_errno);
    if (d.open_errno) SetString(env, o, "openError", ErrnoName(d.open_errno));
    CALL(env, napi_set_element(env, array, static_cast<uint32_t>(i), o));
  }
  return array;
}

std::string FourccString(uint32_t f) {
  std::string s(4, ' ');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((f >> (8 * i)) & 0xff);
  return s;
}

napi_value Open(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv)) return nullptr;
  vcam::OpenRequest req;
  char path[4096];
  size_t path_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok) {
    napi_throw_type_error(env, "EARGS", "vcam.node: open: path must be a string");
    return nullptr;
  }
  req.path.assign(path, path_len);
  int32_t w, h, fps;
  char fourcc[8];
  size_t fourcc_len = 0;
  if (!GetInt(env, argv[1], &w) || !GetInt(env, argv[2], &h) || !GetInt(env, argv[4], &fps)) return nullptr;
  if (napi_get_value_string_utf8(env, argv[3], fourcc, sizeof fourcc, &fourcc_len) != napi_ok || fourcc_len != 4) {
    napi_throw_type_error(env, "EARGS", "vcam.node: open: fourcc must be 4 characters");
    return nullptr;
  }
  bool bt709 = false;
  napi_get_value_bool(env, argv[5], &bt709);
  req.width = static_cast<uint32_t>(w);
  req.height = static_cast<uint32_t>(h);
  req.fps = static_cast<uint32_t>(fps);
  req.fourcc = static_cast<uint32_t>(fourcc[0]) | (static_cast<uint32_t>(fourcc[1]) << 8) |
               (static_cast<uint32_t>(fourcc[2]) << 16) | (static_cast<uint32_t>(fourcc[3]) << 24);
  req.bt709 = bt709;
  vcam::OpenResult res;
  vcam::SysError err;
  if (!vcam::OpenOutput(req, &res, &err)) return ThrowSys(env, err);
  napi_value o;
  CALL(env, napi_create_object(env, &o));
  SetNumber(env, o, "fd", res.fd);
  SetNumber(env, o, "width", res.width);
  SetNumber(env, o, "height", res.height);
  SetString(env, o, "fourcc", FourccString(res.fourcc));
  SetNumber(env, o, "bytesPerLine", res.bytes_per_line);
  SetNumber(env, o, "sizeImage", res.size_image);
  SetNumber(env, o, "deviceCaps", res.device_caps);
  SetBool(env, o, "fpsSet", res.fps_set);
  SetBool(env, o, "streamOn", res.stream_on);
  SetBool(env, o, "buffersTrimmed", res.buffers_trimmed);
  return o;
}

napi_value Write(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!GetArgs(env, info, 2, argv)) return nullptr;
  int32_t fd;
  uint8_t* data;
  size_t length;
  if (!GetInt(env, argv[0], &fd) || !GetBytes(env, argv[1], &data, &length)) return nullptr;
  vcam::SysError err;
  if (!vcam::WriteFrame(fd, data, length, &err)) return ThrowSys(env, err);
  return nullptr;
}

napi_value Close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!GetArgs(env, info, 1, argv)) return nullptr;
  int32_t fd;
  if (!GetInt(env, argv[0], &fd)) return nullptr;
  vcam::SysError err;
  if (!vcam::CloseOutput(fd, &err)) return ThrowSys(env, err);
  return nullptr;
}

struct ConvertJob {
  const uint8_t* src = nullptr;
  uint8_t* dst = nullptr;
  int width = 0, height = 0;
  vcam::PixelFormat format = vcam::PixelFormat::kYUYV;
  vcam::Matrix matrix = vcam::Matrix::kBt601;
};

// Parses (src, width, height, format, matrix, dst); sizes were validated in TS, but a wrong
// buffer length here would mean memory corruption, so it is checked once more.
bool ParseConvert(napi_env env, napi_value* argv, ConvertJob* job) {
  uint8_t *src, *dst;
  size_t src_len, dst_len;
  int32_t w, h, format, matrix;
  if (!GetBytes(env, argv[0], &src, &src_len) || !GetInt(env, argv[1], &w) || !GetInt(env, argv[2], &h) ||
      !GetInt(env, argv[3], &format) || !GetInt(env, argv[4], &matrix) || !GetBytes(env, argv[5], &dst, &dst_len))
    return false;
  if (w < 2 || h < 1 || (w & 1) || format < 0 || format > 2 || matrix < 0 || matrix > 1 || (format != 0 && (h & 1))) {
    napi_throw_range_error(env, "EARGS", "vcam.node: convert: bad size, format or matrix");
    return false;
  }
  job->format = static_cast<vcam::PixelFormat>(format);
  if (src_len < static_cast<size_t>(w) * h * 4 || dst_len < vcam::FrameBytes(job->format, w, h)) {
    napi_throw_range_error(env, "EARGS", "vcam.node: convert: buffer too small");
    return false;
  }
  job->src = src;
  job->dst = dst;
  job->width = w;
  job->height = h;
  job->matrix = static_cast<vcam::Matrix>(matrix);
  return true;
}

napi_value Convert(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  ConvertJob job;
  if (!GetArgs(env, info, 6, argv) || !ParseConvert(env, argv, &job)) return nullptr;
  vcam::ConvertRgba(job.src, job.width, job.height, job.format, job.matrix, job.dst);
  return nullptr;
}

struct AsyncConvert {
  ConvertJob job;
  napi_ref src_ref = nullptr, dst_ref = nullptr;  // keep both buffers alive while the worker runs
  napi_deferred deferred = nullptr;
  napi_async_work work = nullptr;
};

void ConvertExecute(napi_env, void* data) {
  auto* a = static_cast<AsyncConvert*>(data);
  vcam::ConvertRgba(a->job.src, a->job.width, a->job.height, a->job.format, a->job.matrix, a->job.dst);
}

void ConvertComplete(napi_env env, napi_status status, void* data) {
  auto* a = static_cast<AsyncConvert*>(data);
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (status == napi_ok) {
    napi_resolve_deferred(env, a->deferred, undefined);
  } else {
    napi_value code, msg, err;
    napi_create_string_utf8(env, "ECANCELED", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, "vcam.node: convertAsync was cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &err);
    napi_reject_deferred(env, a->deferred, err);
  }
  napi_delete_reference(env, a->src_ref);
  napi_delete_reference(env, a->dst_ref);
  napi_delete_async_work(env, a->work);
  delete a;
}

napi_value ConvertAsync(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  ConvertJob job;
  if (!GetArgs(env, info, 6, argv) || !ParseConvert(env, argv, &job)) return nullptr;
  auto* a = new AsyncConvert();
  a->job = job;
  napi_value promise, name;
  if (napi_create_promise(env, &a->deferred, &promise) != napi_ok ||
      napi_create_reference(env, argv[0], 1, &a->src_ref) != napi_ok ||
      napi_create_reference(env, argv[5], 1, &a->dst_ref) != napi_ok ||
      napi_create_string_utf8(env, "vcam.convert", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, ConvertExecute, ConvertComplete, a, &a->work) != napi_ok ||
      napi_queue_async_work(env, a->work) != napi_ok) {
    ThrowPending(env, "convertAsync setup");
    return nullptr;  // leaks `a` on this (practically impossible) path rather than risk a double free
  }
  return promise;
}

napi_value ScaleFit(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!GetArgs(env, info, 6, argv)) return nullptr;
  uint8_t *src, *dst;
  size_t src_len, dst_len;
  int32_t sw, sh, dw, dh;
  if (!GetBytes(env, argv[0], &src, &src_len) || !GetInt(env, argv[1], &sw) || !GetInt(env, argv[2], &sh) ||
      !GetBytes(env, argv[3], &dst, &dst_len) || !GetInt(env, argv[4], &dw) || !GetInt(env, argv[5], &dh))
    return nullptr;
  if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || src_len < static_cast<size_t>(sw) * sh * 4 ||
      dst_len < static_cast<size_t>(dw) * dh * 4) {
    napi_throw_range_error(env, "EARGS", "vcam.node: scaleFit: bad sizes");
    return nullptr;
  }
  vcam::ScaleRgbaFit(src, sw, sh, dst, dw, dh);
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      {"listDevices", nullptr, ListDevices, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"write", nullptr, Write, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"convert", nullptr, Convert, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"convertAsync", nullptr, ConvertAsync, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"scaleFit", nullptr, ScaleFit, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  CALL(env, napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns));
  napi_value supported;
  CALL(env, napi_get_boolean(env, vcam::kPlatformSupported, &supported));
  CALL(env, napi_set_named_property(env, exports, "platformSupported", supported));
  return exports;
}

}  // namespace

NAPI_MODULE(vcam, Init)
