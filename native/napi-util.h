/*
 * N-API helpers shared by the native helper's files: typed errors, optional properties read
 * as numbers, flags or strings, and strings copied whole or refused.
 */
#ifndef CIRCUS_NAPI_UTIL_H
#define CIRCUS_NAPI_UTIL_H
#include <errno.h>
#include <node_api.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static inline const char *errno_code(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case ENOTDIR: return "ENOTDIR";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMFILE: return "EMFILE";
    case ENOEXEC: return "ENOEXEC";
    case E2BIG: return "E2BIG";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    default: return "EOTHER";
  }
}

static inline napi_value throw_coded(napi_env env, int err, const char *syscall_name, const char *msg) {
  napi_value message, error, code, sys, errnum;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &sys);
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "syscall", sys);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

/* Throws an Error {code, errno, syscall}; `what` goes into the message. */
static inline napi_value throw_errno(napi_env env, int err, const char *syscall_name, const char *what) {
  char msg[512];
  if (what)
    snprintf(msg, sizeof msg, "%s %s: %s", syscall_name, what, strerror(err));
  else
    snprintf(msg, sizeof msg, "%s: %s", syscall_name, strerror(err));
  return throw_coded(env, err, syscall_name, msg);
}

/*
 * Throws an Error {code, errno, syscall} with a message of its own ("syscall: ..."): for a
 * request refused before the system call, which would have failed less clearly or not at all.
 */
static inline napi_value throw_refused(napi_env env, int err, const char *syscall_name, const char *fmt, ...) {
  char msg[512];
  int n = snprintf(msg, sizeof msg, "%s: ", syscall_name);
  va_list args;
  va_start(args, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, args);
  va_end(args);
  return throw_coded(env, err, syscall_name, msg);
}

/*
 * Copies a JS string into buf: 1 when it fits whole, 0 when it does not, holds a NUL (C would
 * see it end there) or is no string. N-API cuts a string too long for the buffer at a
 * character boundary and reports the shorter length, so the full length is asked first: a
 * cut socket path would bind somewhere else.
 */
static inline int napi_string_whole(napi_env env, napi_value v, char *buf, size_t size, size_t *len) {
  size_t full = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &full) != napi_ok || full >= size) return 0;
  napi_get_value_string_utf8(env, v, buf, size, len);
  return strlen(buf) == *len;
}

/* The elements and length of a typed array of type `want`; 0 when v is no such array. */
static inline int napi_typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data,
                                   size_t *len) {
  bool is = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) != napi_ok) return 0;
  return type == want;
}

/* True when obj has `name` set to something other than undefined or null. */
static inline int napi_prop(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  napi_has_named_property(env, obj, name, &has);
  if (!has) return 0;
  napi_get_named_property(env, obj, name, out);
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  return t != napi_undefined && t != napi_null;
}

/* A number property into *out (1); 0, with *out untouched, when absent or no number. */
static inline int napi_prop_number(napi_env env, napi_value obj, const char *name, double *out) {
  napi_value v;
  double d;
  if (!napi_prop(env, obj, name, &v) || napi_get_value_double(env, v, &d) != napi_ok) return 0;
  *out = d;
  return 1;
}

/* A string property copied whole into buf (1); 0 when absent; -1 when napi_string_whole refuses it. */
static inline int napi_prop_string(napi_env env, napi_value obj, const char *name, char *buf, size_t size) {
  napi_value v;
  size_t len = 0;
  if (!napi_prop(env, obj, name, &v)) return 0;
  return napi_string_whole(env, v, buf, size, &len) ? 1 : -1;
}

/* A boolean property; false when absent or no boolean. */
static inline bool napi_prop_flag(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  bool b = false;
  if (napi_prop(env, obj, name, &v)) napi_get_value_bool(env, v, &b);
  return b;
}

/* Throws a TypeError with a formatted message; returns 0 for `return throw_type(...)`. */
static inline int throw_type(napi_env env, const char *fmt, ...) {
  char msg[256];
  va_list args;
  va_start(args, fmt);
  vsnprintf(msg, sizeof msg, fmt, args);
  va_end(args);
  napi_throw_type_error(env, NULL, msg);
  return 0;
}

/* throw_errno for the functions that return 0 on failure. */
static inline int fail_errno(napi_env env, int err, const char *syscall_name, const char *what) {
  throw_errno(env, err, syscall_name, what);
  return 0;
}

#endif
