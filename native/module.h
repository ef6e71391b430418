/*
 * The functions the native helper exports to JS. Each lives in the file that owns its
 * system calls; module.c alone names them to JS, so the list of exports is written once.
 */
#ifndef CIRCUS_MODULE_H
#define CIRCUS_MODULE_H
#include <node_api.h>

/* native/spawn.c */
napi_value js_spawn(napi_env env, napi_callback_info info);
napi_value js_reap(napi_env env, napi_callback_info info);
napi_value js_set_pipe_size(napi_env env, napi_callback_info info);
napi_value js_exited_child(napi_env env, napi_callback_info info);
napi_value js_pipe(napi_env env, napi_callback_info info);
/* native/sockets.c */
napi_value js_bind_socket(napi_env env, napi_callback_info info);
/* native/readable.c */
napi_value js_watch_readable(napi_env env, napi_callback_info info);
napi_value js_unwatch(napi_env env, napi_callback_info info);
/* native/socket-hits.c */
napi_value js_count_hits(napi_env env, napi_callback_info info);
napi_value js_take_hits(napi_env env, napi_callback_info info);
napi_value js_stop_hits(napi_env env, napi_callback_info info);
/* native/lines.c */
napi_value js_prefix_lines(napi_env env, napi_callback_info info);
/* native/subreaper.c */
napi_value js_set_child_subreaper(napi_env env, napi_callback_info info);
napi_value js_is_child_subreaper(napi_env env, napi_callback_info info);
/* native/unix-dgram.c */
napi_value js_unix_dgram_open(napi_env env, napi_callback_info info);
napi_value js_unix_dgram_send(napi_env env, napi_callback_info info);
napi_value js_unix_dgram_bind(napi_env env, napi_callback_info info);
napi_value js_unix_dgram_receive(napi_env env, napi_callback_info info);

#endif
