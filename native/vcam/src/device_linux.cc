// V4L2 output devices (v4l2loopback). See ../../../docs/virtual-camera.md for the driver's quirks.
#include <dirent.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "device.h"

namespace vcam {

const bool kPlatformSupported = true;

namespace {

// Buffers a typical consumer asks for (Chromium: 4, v4l2-ctl --stream-mmap: 4).
constexpr uint32_t kConsumerBuffers = 4;

int Ioctl(int fd, unsigned long request, void* arg) {
  int r;
  do r = ioctl(fd, request, arg);
  while (r < 0 && errno == EINTR);
  return r;
}

bool Fail(SysError* error, const char* call, const std::string& path) {
  error->err = errno;
  error->syscall = call;
  error->path = path;
  return false;
}

std::string CString(const uint8_t* s, size_t n) {
  const char* c = reinterpret_cast<const char*>(s);
  return std::string(c, strnlen(c, n));
}

}  // namespace

bool ListDevices(std::vector<DeviceInfo>* out, SysError* error) {
  out->clear();
  DIR* dir = opendir("/dev");
  if (!dir) return Fail(error, "opendir", "/dev");
  std::vector<std::string> paths;
  while (dirent* e = readdir(dir)) {
    if (strncmp(e->d_name, "video", 5) == 0) paths.push_back(std::string("/dev/") + e->d_name);
  }
  closedir(dir);
  // natural order: /dev/video2 before /dev/video10
  std::sort(paths.begin(), paths.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (const std::string& path : paths) {
    DeviceInfo info;
    info.path = path;
    // Opening for QUERYCAP does not make us a reader or writer of a loopback device.
    int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      info.open_errno = errno;
      out->push_back(info);
      continue;
    }
    v4l2_capability cap{};
    if (Ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0) {
      info.card = CString(cap.card, sizeof cap.card);
      info.driver = CString(cap.driver, sizeof cap.driver);
      info.bus = CString(cap.bus_info, sizeof cap.bus_info);
      info.capabilities = cap.capabilities;
      info.device_caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    } else {
      info.open_errno = errno;
    }
    close(fd);
    out->push_back(info);
  }
  return true;
}

bool OpenOutput(const OpenRequest& req, OpenResult* out, SysError* error) {
  const int fd = open(req.path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Fail(error, "open", req.path);
  auto fail = [&](const char* call) {
    Fail(error, call, req.path);
    close(fd);
    return false;
  };
  v4l2_capability cap{};
  if (Ioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) return fail("VIDIOC_QUERYCAP");
  out->device_caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;

  v4l2_format fmt{};
  fmt.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  fmt.fmt.pix.width = req.width;
  fmt.fmt.pix.height = req.height;
  fmt.fmt.pix.pixelformat = req.fourcc;
  fmt.fmt.pix.field = V4L2_FIELD_NONE;
  const bool packed = req.fourcc == V4L2_PIX_FMT_YUYV;
  fmt.fmt.pix.bytesperline = packed ? req.width * 2 : req.width;
  fmt.fmt.pix.sizeimage = packed ? req.width * req.height * 2 : req.width * req.height * 3 / 2;
  fmt.fmt.pix.colorspace = req.bt709 ? V4L2_COLORSPACE_REC709 : V4L2_COLORSPACE_SMPTE170M;
  fmt.fmt.pix.ycbcr_enc = req.bt709 ? V4L2_YCBCR_ENC_709 : V4L2_YCBCR_ENC_601;
  fmt.fmt.pix.quantization = V4L2_QUANTIZATION_LIM_RANGE;
  if (Ioctl(fd, VIDIOC_S_FMT, &fmt) < 0) return fail("VIDIOC_S_FMT");
  out->width = fmt.fmt.pix.width;
  out->height = fmt.fmt.pix.height;
  out->fourcc = fmt.fmt.pix.pixelformat;
  out->bytes_per_line = fmt.fmt.pix.bytesperline;
  out->size_image = fmt.fmt.pix.sizeimage;

  v4l2_streamparm parm{};
  parm.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  parm.parm.output.timeperframe.numerator = 1;
  parm.parm.output.timeperframe.denominator = req.fps;
  out->fps_set = Ioctl(fd, VIDIOC_S_PARM, &parm) == 0;

  // v4l2loopback 0.12.x marks an opener as the writer only on STREAMON(OUTPUT); without it the
  // device is left with neither capture nor output caps after we close (exclusive_caps=1).
  int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  out->stream_on = Ioctl(fd, VIDIOC_STREAMON, &type) == 0;

  // v4l2loopback 0.12.x trims its buffer ring, without its lock, on the first consumer's
  // REQBUFS with fewer buffers than max_buffers; a write() racing with that corrupts the
  // driver's list and panics the kernel (seen with max_buffers=8 and a 4-buffer consumer,
  // which is what Chromium requests). Trim it ourselves now, before our first write, while no
  // consumer holds buffers (the device had no capture caps before we opened it).
  if (!(out->device_caps & V4L2_CAP_VIDEO_CAPTURE)) {
    v4l2_requestbuffers rb{};
    rb.count = kConsumerBuffers;
    rb.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    rb.memory = V4L2_MEMORY_MMAP;
    out->buffers_trimmed = Ioctl(fd, VIDIOC_REQBUFS, &rb) == 0;
  }
  out->fd = fd;
  return true;
}

bool WriteFrame(int fd, const uint8_t* data, size_t length, SysError* error) {
  // v4l2loopback takes one whole frame per write() and never blocks; a short count means the
  // device's buffers are smaller than our frame (its format changed under us).
  ssize_t n;
  do n = write(fd, data, length);
  while (n < 0 && errno == EINTR);
  if (n < 0) return Fail(error, "write", "");
  if (static_cast<size_t>(n) != length) {
    errno = EMSGSIZE;
    return Fail(error, "write", "");
  }
  return true;
}

bool CloseOutput(int fd, SysError* error) {
  int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
  Ioctl(fd, VIDIOC_STREAMOFF, &type);  // best effort; close() is what releases the device
  if (close(fd) < 0 && errno != EINTR) return Fail(error, "close", "");
  return true;
}

}  // namespace vcam
