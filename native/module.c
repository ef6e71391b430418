/*
 * The native helper's module init: every JS name and the C function behind it, in one
 * table (sys/native.ts declares the same names on the JS side).
 */
#include "module.h"
#include "spawn-slots.h"
#include <node_api.h>
#include <stddef.h>

static const struct {
  const char *name;
  napi_callback fn;
} EXPORTS[] = {
    {"spawn", js_spawn},
    {"reap", js_reap},
    {"setPipeSize", js_set_pipe_size},
    {"exitedChild", js_exited_child},
    {"pipe", js_pipe},
    {"bindSocket", js_bind_socket},
    {"watchReadable", js_watch_readable},
    {"unwatch", js_unwatch},
    {"countHits", js_count_hits},
    {"takeHits", js_take_hits},
    {"stopHits", js_stop_hits},
    {"unixDgramOpen", js_unix_dgram_open},
    {"unixDgramSend", js_unix_dgram_send},
    {"unixDgramBind", js_unix_dgram_bind},
    {"unixDgramReceive", js_unix_dgram_receive},
    {"prefixLines", js_prefix_lines},
    {"setChildSubreaper", js_set_child_subreaper},
    {"isChildSubreaper", js_is_child_subreaper},
};

static napi_value init(napi_env env, napi_value exports) {
  /* Now, while circusd's fd table is small: the slots must be low numbers. */
  slots_init();
  for (size_t i = 0; i < sizeof EXPORTS / sizeof EXPORTS[0]; i++) {
    napi_value fn;
    napi_create_function(env, EXPORTS[i].name, NAPI_AUTO_LENGTH, EXPORTS[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, EXPORTS[i].name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
