// pidfd.node: copies a socket out of another process (pidfd_open(2) + pidfd_getfd(2), Linux >= 5.6),
// so labd can serve a browser connection the web accepted instead of having the web splice its bytes
// (apps/labd/src/sessions/handoff.ts decides when; this file only makes the two system calls).
//   open(pid) -> pidfd              pins the process: a pid reused later is not the one checked
//   getfd(pidfd, fd) -> newfd       newfd is O_CLOEXEC; refused unless it is a connected TCP socket
//   getpty(pidfd, fd) -> newfd      the same for a pty master (a terminal holder's, sessions/holder/)
// Errors are thrown as Error with `code` (the errno name, e.g. EPERM, ESRCH, ENOTSOCK).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <node_api.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static napi_value fail(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, strerrorname_np(err), msg);
  return NULL;
}

static int int_args(napi_env env, napi_callback_info info, int32_t *out, size_t n) {
  napi_value argv[2];
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) return -1;
  for (size_t i = 0; i < n; i++)
    if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok || out[i] < 0) return -1;
  return 0;
}

static napi_value result(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  int32_t a[1];
  if (int_args(env, info, a, 1)) return fail(env, "open(pid)", EINVAL);
  int pidfd = (int)syscall(SYS_pidfd_open, a[0], 0);
  return pidfd < 0 ? fail(env, "pidfd_open", errno) : result(env, pidfd);
}

static napi_value js_getfd(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (int_args(env, info, a, 2)) return fail(env, "getfd(pidfd, fd)", EINVAL);
  int fd = (int)syscall(SYS_pidfd_getfd, a[0], a[1], 0);
  if (fd < 0) return fail(env, "pidfd_getfd", errno);
  // Only a byte stream may be served as a WebSocket; anything else (a file, a datagram or
  // listening socket) is closed again here, so the caller never holds it.
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
    int e = errno;
    close(fd);
    return fail(env, "the fd is not a socket", e);
  }
  // A browser's connection is TCP over IPv4 or IPv6: never a Unix socket (another process's private
  // channel) or any other family.
  int domain = 0;
  len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || (domain != AF_INET && domain != AF_INET6)) {
    close(fd);
    return fail(env, "the fd is not a TCP socket", EAFNOSUPPORT);
  }
  len = sizeof listening;
  if (type != SOCK_STREAM || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || listening) {
    close(fd);
    return fail(env, "the fd is not a connected stream socket", EPROTOTYPE);
  }
  return result(env, fd);
}

static napi_value js_getpty(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (int_args(env, info, a, 2)) return fail(env, "getpty(pidfd, fd)", EINVAL);
  int fd = (int)syscall(SYS_pidfd_getfd, a[0], a[1], 0);
  if (fd < 0) return fail(env, "pidfd_getfd", errno);
  // Only a pty master answers TIOCGPTN (the number of its /dev/pts slave): no file, socket or
  // slave end is ever handed back.
  unsigned int n;
  if (ioctl(fd, TIOCGPTN, &n) < 0) {
    int e = errno;
    close(fd);
    return fail(env, "the fd is not a pty master", e);
  }
  return result(env, fd);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getfd", NULL, js_getfd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getpty", NULL, js_getpty, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}
