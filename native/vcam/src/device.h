// The OS side of the virtual camera: find output devices, open one with a format, write frames.
// Linux (v4l2loopback) is implemented in device_linux.cc; other platforms get device_other.cc,
// which reports itself unsupported so the addon still builds and loads everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vcam {

extern const bool kPlatformSupported;

// A failed system call: errno plus the call that failed, for the JS error.
struct SysError {
  int err = 0;
  std::string syscall;
  std::string path;
};

struct DeviceInfo {
  std::string path;
  std::string card;
  std::string driver;
  std::string bus;
  uint32_t capabilities = 0;
  uint32_t device_caps = 0;
  int open_errno = 0;  // non-zero when the node could not be opened to query it
};

struct OpenRequest {
  std::string path;
  uint32_t width = 0, height = 0, fourcc = 0, fps = 30;
  bool bt709 = false;
};

struct OpenResult {
  int fd = -1;
  uint32_t width = 0, height = 0, fourcc = 0, bytes_per_line = 0, size_image = 0;
  uint32_t device_caps = 0;
  bool fps_set = false;     // S_PARM accepted
  bool stream_on = false;   // STREAMON(OUTPUT) accepted
  bool buffers_trimmed = false;  // the driver's ring was trimmed to what consumers use (see .cc)
};

bool ListDevices(std::vector<DeviceInfo>* out, SysError* error);
// open + QUERYCAP + S_FMT(OUTPUT) + S_PARM + STREAMON(OUTPUT). On success the caller owns fd.
bool OpenOutput(const OpenRequest& req, OpenResult* out, SysError* error);
bool WriteFrame(int fd, const uint8_t* data, size_t length, SysError* error);
bool CloseOutput(int fd, SysError* error);

}  // namespace vcam
