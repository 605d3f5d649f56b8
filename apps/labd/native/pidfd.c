// pidfd.node: copies an fd out of another process (pidfd_open(2) + pidfd_getfd(2), Linux >= 5.6):
// the browser's socket the web accepted (apps/labd/src/sessions/handoff.ts) and a terminal holder's
// pty master (sessions/holder/take-fd.ts). Callers decide when; this file only makes the calls.
//   pidfdOpen(pid) -> pidfd          pins the process: a pid reused later is not the one checked
//   pidfdGetfd(pidfd, fd) -> newfd   newfd is O_CLOEXEC
//   getfd(pid, fd) -> newfd          both at once
//   checkStream(fd)                  throws unless fd is a connected SOCK_STREAM socket
// Errors are thrown as Error with `code` (the errno name, e.g. EPERM, ESRCH, ENOTSOCK).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

static napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  int32_t a[1];
  if (int_args(env, info, a, 1)) return fail(env, "pidfdOpen(pid)", EINVAL);
  int pidfd = (int)syscall(SYS_pidfd_open, a[0], 0);
  return pidfd < 0 ? fail(env, "pidfd_open", errno) : result(env, pidfd);
}

static napi_value js_pidfd_getfd(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (int_args(env, info, a, 2)) return fail(env, "pidfdGetfd(pidfd, fd)", EINVAL);
  int fd = (int)syscall(SYS_pidfd_getfd, a[0], a[1], 0);
  return fd < 0 ? fail(env, "pidfd_getfd", errno) : result(env, fd);
}

// getfd(pid, fd): both calls at once, for a caller that checks the copy itself (the pty master).
static napi_value js_getfd(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (int_args(env, info, a, 2)) return fail(env, "getfd(pid, fd)", EINVAL);
  int pidfd = (int)syscall(SYS_pidfd_open, a[0], 0);
  if (pidfd < 0) return fail(env, "pidfd_open", errno);
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, a[1], 0);
  int e = errno;
  close(pidfd);
  return fd < 0 ? fail(env, "pidfd_getfd", e) : result(env, fd);
}

// Only a connected byte stream may be served as a WebSocket: not a file, a datagram or a listening
// socket. Throws ENOTSOCK or EPROTOTYPE; the caller closes the fd.
static napi_value js_check_stream(napi_env env, napi_callback_info info) {
  int32_t a[1];
  if (int_args(env, info, a, 1)) return fail(env, "checkStream(fd)", EINVAL);
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (getsockopt(a[0], SOL_SOCKET, SO_TYPE, &type, &len) < 0) return fail(env, "the fd is not a socket", errno);
  len = sizeof listening;
  if (type != SOCK_STREAM || getsockopt(a[0], SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || listening)
    return fail(env, "the fd is not a connected stream socket", EPROTOTYPE);
  napi_value undef;
  napi_get_undefined(env, &undef);
  return undef;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"pidfdOpen", NULL, js_pidfd_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pidfdGetfd", NULL, js_pidfd_getfd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getfd", NULL, js_getfd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"checkStream", NULL, js_check_stream, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 4, props);
  return exports;
}
