/*
 * The local syslog half of the native helper: Node's dgram cannot send on an AF_UNIX
 * socket, which is what /dev/log is. As Python's SysLogHandler, a DATAGRAM socket is
 * tried first and a STREAM one when the path is a stream socket (EPROTOTYPE).
 * Sends never block: a full receiver drops the line (EAGAIN is thrown to JS).
 */
#define _GNU_SOURCE
#include "module.h"
#include "napi-util.h"
#include <node_api.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_unix(const char *path, size_t len, int type) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path, len); /* len < sizeof sun_path: checked by the caller */
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

/* unixDgramOpen(path) -> fd connected to the unix socket at path (CLOEXEC, non-blocking). */
napi_value js_unix_dgram_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  size_t len = 0;
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_string) {
    napi_throw_type_error(env, NULL, "unixDgramOpen(path) expects a string");
    return NULL;
  }
  if (!napi_string_whole(env, argv[0], path, sizeof path, &len))
    return throw_refused(env, ENAMETOOLONG, "connect",
                         "the socket path holds a NUL or is longer than %zu bytes", sizeof path - 1);
  int fd = connect_unix(path, len, SOCK_DGRAM);
  if (fd < 0 && errno == EPROTOTYPE) fd = connect_unix(path, len, SOCK_STREAM);
  if (fd < 0) return throw_errno(env, errno, "connect", path);
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/* unixDgramSend(fd, buffer) -> bytes sent; throws {errno} on failure, never blocks. */
napi_value js_unix_dgram_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  void *data = NULL;
  size_t size = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &data, &size) != napi_ok) {
    napi_throw_type_error(env, NULL, "unixDgramSend(fd, buffer) expects a number and a Buffer");
    return NULL;
  }
  ssize_t sent;
  do {
    sent = send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_errno(env, errno, "send", NULL);
  napi_value out;
  napi_create_int64(env, (int64_t)sent, &out);
  return out;
}

/*
 * unixDgramBind(path) -> fd: a datagram socket bound at path (CLOEXEC, non-blocking) that
 * receives its senders' credentials (SO_PASSCRED): the NOTIFY_SOCKET of sd_notify, where a
 * message is believed only for the pid the kernel names, never for what it says.
 */
napi_value js_unix_dgram_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = 0;
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_string) {
    napi_throw_type_error(env, NULL, "unixDgramBind(path) expects a string");
    return NULL;
  }
  if (!napi_string_whole(env, argv[0], addr.sun_path, sizeof addr.sun_path, &len))
    return throw_refused(env, ENAMETOOLONG, "bind",
                         "the socket path holds a NUL or is longer than %zu bytes",
                         sizeof addr.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", addr.sun_path);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind", addr.sun_path);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

/*
 * unixDgramReceive(fd) -> [sender pid, sender uid, Buffer] of the next datagram (pid 0 and
 * uid -1 when the kernel gave no credentials), or null when none waits. Never blocks;
 * datagrams are cut at 4 KiB.
 */
napi_value js_unix_dgram_receive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "unixDgramReceive(fd) expects a number");
    return NULL;
  }
  char data[4096];
  char control[CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  napi_value out;
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_get_null(env, &out);
      return out;
    }
    return throw_errno(env, errno, "recvmsg", NULL);
  }
  int32_t pid = 0;
  int64_t uid = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof cred);
      pid = cred.pid;
      uid = cred.uid;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      /* fds passed along (FDSTORE=1) are not kept: closed at once. */
      int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      int *fds = (int *)CMSG_DATA(c);
      for (int i = 0; i < n; i++) close(fds[i]);
    }
  }
  napi_value items[3];
  napi_create_int32(env, pid, &items[0]);
  napi_create_int64(env, uid, &items[1]);
  napi_create_buffer_copy(env, (size_t)got, data, NULL, &items[2]);
  napi_create_array_with_length(env, 3, &out);
  for (uint32_t i = 0; i < 3; i++) napi_set_element(env, out, i, items[i]);
  return out;
}
