/*
 * The sockets half of the native helper: a socket bound with the options of a
 * [socket:NAME] section. Node's net module can neither set SO_BINDTODEVICE, nor make a
 * SEQPACKET or unbound-protocol socket, nor hand back a plain fd a child can inherit at a
 * chosen number; so circusd binds here and keeps the bare fd (CLOEXEC: only the children
 * it is handed to on purpose by spawn() see it).
 *
 * The host is resolved to a numeric address in JS (dns.lookup) before it gets here.
 */
#define _GNU_SOURCE
#include "module.h"
#include "napi-util.h"
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* bindSocket({family: "AF_INET"|"AF_INET6"|"AF_UNIX", type: "SOCK_STREAM"|"SOCK_DGRAM"|
 *   "SOCK_SEQPACKET", address?, port?, path?, umask?, replace?, interface?, reuseport?,
 *   backlog?, blocking?, nolisten?}) -> {fd, port} */
napi_value js_bind_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "bindSocket(options) expects an object");
    return NULL;
  }
  napi_value o = argv[0];
  char family_s[16] = {0}, type_s[24] = {0}, address[64] = {0}, ifname[64] = {0};
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)] = {0};
  napi_prop_string(env, o, "family", family_s, sizeof family_s);
  napi_prop_string(env, o, "type", type_s, sizeof type_s);
  int family = strcmp(family_s, "AF_INET6") == 0 ? AF_INET6
               : strcmp(family_s, "AF_UNIX") == 0 ? AF_UNIX
               : strcmp(family_s, "AF_INET") == 0 ? AF_INET
                                                  : -1;
  int type = strcmp(type_s, "SOCK_STREAM") == 0 ? SOCK_STREAM
             : strcmp(type_s, "SOCK_DGRAM") == 0 ? SOCK_DGRAM
             : strcmp(type_s, "SOCK_SEQPACKET") == 0 ? SOCK_SEQPACKET
                                                     : -1;
  if (family < 0 || type < 0) {
    napi_throw_type_error(env, NULL, "bindSocket: unknown family or type");
    return NULL;
  }
  int has_path = family == AF_UNIX ? napi_prop_string(env, o, "path", path, sizeof path) : 0;
  if (family == AF_UNIX && has_path != 1)
    return throw_refused(env, ENAMETOOLONG, "bind",
                         "the socket path is missing, holds a NUL or is longer than %zu bytes",
                         sizeof path - 1);
  if (family != AF_UNIX && napi_prop_string(env, o, "address", address, sizeof address) != 1) {
    napi_throw_type_error(env, NULL, "bindSocket: a numeric address is required");
    return NULL;
  }
  int has_if = napi_prop_string(env, o, "interface", ifname, sizeof ifname);
  if (has_if < 0) return throw_errno(env, ENAMETOOLONG, "setsockopt SO_BINDTODEVICE", NULL);
  double port_d = 0, backlog_d = 128, mask_d = -1;
  napi_prop_number(env, o, "port", &port_d);
  napi_prop_number(env, o, "backlog", &backlog_d);
  napi_prop_number(env, o, "umask", &mask_d);
  int port = (int)port_d, backlog = (int)backlog_d, mask = (int)mask_d;
  int blocking = napi_prop_flag(env, o, "blocking");

  int fd = socket(family, type | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK), 0);
  if (fd < 0) return throw_errno(env, errno, "socket", NULL);
  int one = 1, err = 0;
  const char *stage = NULL;
  if (family != AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    stage = "setsockopt SO_REUSEADDR";
  if (!stage && napi_prop_flag(env, o, "reuseport") &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
    stage = "setsockopt SO_REUSEPORT";
  if (!stage && has_if == 1 &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname) + 1) < 0)
    stage = "setsockopt SO_BINDTODEVICE";
  if (stage) {
    err = errno;
    close(fd);
    return throw_errno(env, err, stage, has_if == 1 ? ifname : NULL);
  }

  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &in->sin_addr) != 1) err = EINVAL;
    sslen = sizeof *in;
  } else if (family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &in6->sin6_addr) != 1) err = EINVAL;
    sslen = sizeof *in6;
  } else {
    struct sockaddr_un *un = (struct sockaddr_un *)&ss;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, strlen(path) + 1);
    sslen = sizeof *un;
    struct stat st;
    if (lstat(path, &st) == 0) {
      /* A file left by an earlier run: only replaced when the config says so. */
      if (!napi_prop_flag(env, o, "replace")) err = EEXIST;
      else if (unlink(path) < 0) err = errno;
    }
  }
  if (err) {
    close(fd);
    return throw_errno(env, err, "bind", family == AF_UNIX ? path : address);
  }
  /* umask is process-wide: set only around bind, which creates the unix socket file. */
  mode_t old = 0;
  if (family == AF_UNIX && mask >= 0) old = umask((mode_t)mask);
  int r = bind(fd, (struct sockaddr *)&ss, sslen);
  err = errno;
  if (family == AF_UNIX && mask >= 0) umask(old);
  if (r < 0) {
    close(fd);
    return throw_errno(env, err, "bind", family == AF_UNIX ? path : address);
  }
  /* nolisten: bound only, to hold the address for SO_REUSEPORT siblings; a listening one
   * would take its share of the connections and nobody would accept them. */
  if ((type == SOCK_STREAM || type == SOCK_SEQPACKET) && !napi_prop_flag(env, o, "nolisten") &&
      listen(fd, backlog) < 0) {
    err = errno;
    close(fd);
    if (family == AF_UNIX) unlink(path);
    return throw_errno(env, err, "listen", NULL);
  }
  int bound_port = 0;
  if (family != AF_UNIX) {
    /* port 0 asks the kernel for a free one: read back which. */
    sslen = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
      bound_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                           : ((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_int32(env, fd, &v);
  napi_set_named_property(env, out, "fd", v);
  napi_create_int32(env, bound_port, &v);
  napi_set_named_property(env, out, "port", v);
  return out;
}
