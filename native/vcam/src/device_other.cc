// Windows and macOS: no backend yet. The addon still builds and loads; lib/ reports
// VCAM_NOT_SUPPORTED before it would call any of these.
#include <cerrno>

#include "device.h"

namespace vcam {

const bool kPlatformSupported = false;

static bool Unsupported(SysError* error, const char* call) {
  error->err = ENOSYS;
  error->syscall = call;
  return false;
}

bool ListDevices(std::vector<DeviceInfo>* out, SysError*) {
  out->clear();
  return true;
}
bool OpenOutput(const OpenRequest&, OpenResult*, SysError* error) { return Unsupported(error, "open"); }
bool WriteFrame(int, const uint8_t*, size_t, SysError* error) { return Unsupported(error, "write"); }
bool CloseOutput(int, SysError* error) { return Unsupported(error, "close"); }

}  // namespace vcam
