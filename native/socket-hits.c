/*
 * Socket hits: how many connections arrived on a listening socket, for circusd-stats's
 * "reads" and the metrics. Circus selects on the sockets every 10 ms and counts the ticks
 * at which one had a connection waiting: a fast worker hides most arrivals, a backlog that
 * nobody takes counts 100 a second. Here a thread blocks in an edge-triggered epoll: each
 * arrival wakes it, and counts if the connection still waits (epoll re-checks readiness, so
 * one a worker accepted first is missed: a lower bound); an idle socket costs no wake-up and a
 * stuck backlog does not spin. JS reads and resets the counts once per stats interval.
 */
#define _GNU_SOURCE
#include "module.h"
#include "napi-util.h"
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct {
  size_t nfds;
  int epoll;
  int wake[2];
  pthread_t thread;
  int stopped;
  atomic_uint *counts; /* per fd, in the order given */
} hits_t;

/* The stop pipe's event carries this index: past every fd's. */
#define WAKE_INDEX UINT32_MAX

static void *run(void *arg) {
  hits_t *h = arg;
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(h->epoll, events, 64, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < n; i++) {
      uint32_t index = events[i].data.u32;
      if (index == WAKE_INDEX) return NULL;
      if (events[i].events & EPOLLIN) atomic_fetch_add(&h->counts[index], 1);
    }
  }
  return NULL;
}

static void stop_thread(hits_t *h) {
  if (h->stopped) return;
  h->stopped = 1;
  char b = 0;
  ssize_t r = write(h->wake[1], &b, 1);
  (void)r;
  pthread_join(h->thread, NULL);
  close(h->wake[0]);
  close(h->wake[1]);
  close(h->epoll);
}

static void finalize(napi_env env, void *data, void *hint) {
  hits_t *h = data;
  stop_thread(h);
  free(h->counts);
  free(h);
}

static hits_t *unwrap(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  void *h = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, argv[0], &h) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return h;
}

/* countHits(fds: Int32Array) -> handle */
napi_value js_count_hits(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t *fds;
  size_t len;
  if (argc < 1 || !napi_typed_array(env, argv[0], napi_int32_array, (void **)&fds, &len) ||
      len == 0) {
    napi_throw_type_error(env, NULL, "countHits(fds: Int32Array): at least one fd");
    return NULL;
  }
  hits_t *h = calloc(1, sizeof *h);
  if (h) h->counts = calloc(len, sizeof *h->counts);
  if (!h || !h->counts) {
    if (h) free(h->counts);
    free(h);
    napi_throw_error(env, "ENOMEM", "countHits: cannot allocate");
    return NULL;
  }
  h->nfds = len;
  h->epoll = epoll_create1(EPOLL_CLOEXEC);
  int piped = h->epoll >= 0 && pipe2(h->wake, O_CLOEXEC) == 0;
  const char *failed = h->epoll < 0 ? "epoll_create1" : !piped ? "pipe2" : NULL;
  int err = errno;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = WAKE_INDEX};
  if (!failed && epoll_ctl(h->epoll, EPOLL_CTL_ADD, h->wake[0], &ev) < 0)
    failed = "epoll_ctl", err = errno;
  for (size_t i = 0; !failed && i < len; i++) {
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u32 = (uint32_t)i;
    /* A closed fd counts nothing, a repeated one counts once; the others still count. */
    if (epoll_ctl(h->epoll, EPOLL_CTL_ADD, fds[i], &ev) < 0 && errno != EBADF && errno != EEXIST)
      failed = "epoll_ctl", err = errno;
  }
  if (!failed && pthread_create(&h->thread, NULL, run, h) != 0) failed = "pthread_create", err = EAGAIN;
  if (failed) {
    if (piped) close(h->wake[0]), close(h->wake[1]);
    if (h->epoll >= 0) close(h->epoll);
    free(h->counts);
    free(h);
    throw_refused(env, err, failed, "countHits: cannot watch %zu sockets", len);
    return NULL;
  }
  napi_value handle;
  napi_create_external(env, h, finalize, NULL, &handle);
  return handle;
}

/* takeHits(handle) -> number[]: the counts since the previous take, per fd, reset to 0. */
napi_value js_take_hits(napi_env env, napi_callback_info info) {
  hits_t *h = unwrap(env, info, "takeHits(handle)");
  if (!h) return NULL;
  napi_value out;
  napi_create_array_with_length(env, h->nfds, &out);
  for (size_t i = 0; i < h->nfds; i++) {
    napi_value v;
    napi_create_uint32(env, atomic_exchange(&h->counts[i], 0), &v);
    napi_set_element(env, out, (uint32_t)i, v);
  }
  return out;
}

/* stopHits(handle): the thread is gone when it returns; idempotent. */
napi_value js_stop_hits(napi_env env, napi_callback_info info) {
  hits_t *h = unwrap(env, info, "stopHits(handle)");
  if (h) stop_thread(h);
  return NULL;
}
