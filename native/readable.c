/*
 * The on-demand half of the native helper: tells JS once that one of a few listening fds
 * has a connection waiting, without accepting it (the worker started for it does). Node
 * can only watch a listening fd by accepting on it, so a thread blocks in poll() on the
 * fds plus a pipe that stop uses to wake it, and reports through a threadsafe function.
 *
 * One shot: after the first readiness the thread ends (the fd stays readable until the
 * worker accepts, so polling on would spin). The threadsafe function is unref'd: it never
 * keeps the event loop alive. The state is freed when both the JS side (unwatch or GC) and
 * the threadsafe function (its finalizer) are done with it.
 */
#define _GNU_SOURCE
#include "module.h"
#include "napi-util.h"
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct {
  nfds_t nfds;
  int wake[2];
  pthread_t thread;
  napi_threadsafe_function tsfn;
  int closed;  /* unwatch ran: no callback any more */
  int owners;  /* JS handle + threadsafe function; freed at 0 (main thread only) */
  struct pollfd fds[]; /* nfds + 1: the last one is the wake pipe's read end */
} watch_t;

static void release(watch_t *w) {
  if (--w->owners == 0) free(w);
}

static void *run(void *arg) {
  watch_t *w = arg;
  int ready = 0;
  for (;;) {
    int n = poll(w->fds, w->nfds + 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (w->fds[w->nfds].revents & (POLLIN | POLLHUP))) break;
    for (nfds_t i = 0; i < w->nfds; i++) {
      /* A socket closed under us is dropped (negative fds are skipped), not reported. */
      if (w->fds[i].revents & POLLNVAL) w->fds[i].fd = -1;
      else if (w->fds[i].revents) ready = w->fds[i].fd;
    }
    if (ready) break;
  }
  if (ready) napi_call_threadsafe_function(w->tsfn, (void *)(long)ready, napi_tsfn_nonblocking);
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
  return NULL;
}

static void call_js(napi_env env, napi_value cb, void *ctx, void *data) {
  watch_t *w = ctx;
  if (env == NULL || w->closed) return;
  napi_value undef, fd;
  napi_get_undefined(env, &undef);
  napi_create_int32(env, (int)(long)data, &fd);
  napi_call_function(env, undef, cb, 1, &fd, NULL);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) { release(hint); }

/* Wakes and joins the thread, closes the pipe; idempotent. */
static void stop(watch_t *w) {
  if (w->closed) return;
  w->closed = 1;
  char b = 0;
  ssize_t r = write(w->wake[1], &b, 1);
  (void)r;
  pthread_join(w->thread, NULL);
  close(w->wake[0]);
  close(w->wake[1]);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  stop(data);
  release(data);
}

/* Reads fds[i]; 0 (a TypeError thrown) when it is no fd number. */
static int read_fd(napi_env env, napi_value fds, uint32_t i, int *fd) {
  napi_value v;
  double d;
  if (napi_get_element(env, fds, i, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok ||
      !(d >= 0 && d <= INT32_MAX) || d != (double)(int32_t)d) {
    char msg[96];
    snprintf(msg, sizeof msg, "watchReadable: fds[%u] is not an fd number", i);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  *fd = (int)d;
  return 1;
}

/*
 * Every fd given is watched: poll() takes as many as the open-files limit, and a longer list
 * is refused here (poll would fail in the thread, which would then never call back).
 */
static int check_count(napi_env env, uint32_t len) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      (rlim_t)len + 1 > rl.rlim_cur) {
    throw_refused(env, EINVAL, "poll",
                  "%u fds to watch (plus a wake-up pipe), more than the open-files limit "
                  "(RLIMIT_NOFILE) of %llu",
                  len, (unsigned long long)rl.rlim_cur);
    return 0;
  }
  return 1;
}

/* watchReadable(fds: number[], callback(fd)) -> handle */
napi_value js_watch_readable(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t len = 0;
  bool is_array = false;
  if (argc >= 2) napi_is_array(env, argv[0], &is_array);
  if (!is_array || napi_get_array_length(env, argv[0], &len) != napi_ok || len == 0) {
    napi_throw_type_error(env, NULL, "watchReadable(fds, callback): at least one fd");
    return NULL;
  }
  if (!check_count(env, len)) return NULL;
  watch_t *w = calloc(1, sizeof *w + ((size_t)len + 1) * sizeof w->fds[0]);
  if (!w || pipe2(w->wake, O_CLOEXEC) < 0) {
    free(w);
    napi_throw_error(env, "ENOMEM", "watchReadable: cannot allocate");
    return NULL;
  }
  for (uint32_t i = 0; i < len; i++) {
    if (!read_fd(env, argv[0], i, &w->fds[i].fd)) {
      close(w->wake[0]);
      close(w->wake[1]);
      free(w);
      return NULL;
    }
    w->fds[i].events = POLLIN;
  }
  w->nfds = len;
  w->fds[len].fd = w->wake[0];
  w->fds[len].events = POLLIN;
  napi_value name;
  napi_create_string_utf8(env, "circus.watchReadable", NAPI_AUTO_LENGTH, &name);
  w->owners = 2;
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, w, tsfn_finalize, w,
                                      call_js, &w->tsfn) != napi_ok) {
    close(w->wake[0]);
    close(w->wake[1]);
    free(w);
    return NULL; /* napi has an exception pending */
  }
  napi_unref_threadsafe_function(env, w->tsfn);
  if (pthread_create(&w->thread, NULL, run, w) != 0) {
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_release); /* its finalizer releases */
    close(w->wake[0]);
    close(w->wake[1]);
    release(w);
    napi_throw_error(env, "EAGAIN", "watchReadable: cannot start a thread");
    return NULL;
  }
  napi_value handle;
  napi_create_external(env, w, handle_finalize, NULL, &handle);
  return handle;
}

/* unwatch(handle): no callback after this returns; the thread is gone. */
napi_value js_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *w = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, argv[0], &w) != napi_ok) {
    napi_throw_type_error(env, NULL, "unwatch(handle)");
    return NULL;
  }
  stop(w);
  return NULL;
}
