/*
 * Per-line prefixes (time_format) in one pass over a read: a search for each line end and two
 * copies per line cost JS a call or more each, which at 100-byte lines is most of the work.
 */
#include "module.h"
#include "napi-util.h"
#include <stdint.h>
#include <string.h>

static int bytes_of(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  return napi_typed_array(env, v, napi_uint8_array, (void **)data, len);
}

/* Prefixes `src` would get: at its start when `at_start`, and after each line end but a last one. */
static size_t prefix_count(const uint8_t *src, size_t len, bool at_start) {
  size_t count = at_start && len > 0 ? 1 : 0;
  const uint8_t *p = src, *end = src + len;
  while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
    p++;
    if (p < end) count++;
  }
  return count;
}

/*
 * prefixLines(src, prefix, atStart, out) -> bytes written to `out`: `src` with `prefix` at
 * the start of every line (its first only when `atStart`); -(bytes needed) when `out` is too
 * small, with nothing written.
 */
napi_value js_prefix_lines(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *src = NULL, *prefix = NULL, *out = NULL;
  size_t len = 0, plen = 0, cap = 0;
  bool at_start = false;
  if (argc < 4 || !bytes_of(env, argv[0], &src, &len) || !bytes_of(env, argv[1], &prefix, &plen) ||
      napi_get_value_bool(env, argv[2], &at_start) != napi_ok ||
      !bytes_of(env, argv[3], &out, &cap)) {
    throw_type(env, "prefixLines(src, prefix, atStart, out): Uint8Arrays and a boolean");
    return NULL;
  }
  double needed = (double)len + (double)prefix_count(src, len, at_start) * (double)plen;
  napi_value result;
  if (needed > (double)cap) {
    napi_create_double(env, -needed, &result);
    return result;
  }
  uint8_t *o = out;
  const uint8_t *p = src, *end = src + len;
  bool start = at_start;
  while (p < end) {
    if (start) {
      memcpy(o, prefix, plen);
      o += plen;
    }
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    const uint8_t *stop = nl ? nl + 1 : end;
    memcpy(o, p, (size_t)(stop - p));
    o += stop - p;
    p = stop;
    start = true;
  }
  napi_create_double(env, (double)(o - out), &result);
  return result;
}
