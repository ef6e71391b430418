/*
 * Container mode's one system call: circusd, when it is not PID 1 but told to act as an init
 * (`--container`), becomes its descendants' child subreaper, so that an orphaned grandchild
 * is reparented to circusd (which reaps it) rather than to the system's init.
 */
#define _GNU_SOURCE
#include "module.h"
#include "napi-util.h"
#include <node_api.h>
#include <errno.h>
#include <sys/prctl.h>

/* setChildSubreaper() -> undefined; throws an Error with errno when the kernel refuses. */
napi_value js_set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    throw_errno(env, errno, "prctl", "PR_SET_CHILD_SUBREAPER");
    return NULL;
  }
  return NULL;
}

/* isChildSubreaper() -> whether circusd is a child subreaper now. */
napi_value js_is_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  int on = 0;
  if (prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) < 0) on = 0;
  napi_value out;
  napi_get_boolean(env, on != 0, &out);
  return out;
}
