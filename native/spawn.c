/*
 * The native half of sys/: starting a child with everything Circus sets before exec
 * (session, rlimits, groups, gid, uid, working dir, umask, stdio, closed fds), and reaping
 * children without blocking. Node has no setrlimit or initgroups for a child, and its own
 * spawn forks the whole daemon; vfork here costs the same whatever the daemon's size.
 *
 * Everything the child needs is prepared before vfork: between vfork and exec the child
 * shares the parent's memory, so it only makes raw system calls (no malloc, no glibc
 * set*id wrappers, which would signal the parent's threads).
 */
#define _GNU_SOURCE
#include "napi-util.h"
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define MAX_LIMITS 16
#define MAX_GROUPS 256
#define MAX_FDS 64

enum stdio_mode { STDIO_INHERIT = 0, STDIO_NULL = 1, STDIO_PIPE = 2 };

/* The step of the child that failed, reported to the parent through the error pipe. */
static const char *STAGES[] = {"setsid", "setrlimit", "setgroups", "setgid", "setuid",
                               "chdir", "open /dev/null", "dup2", "execve"};

struct spawn_plan {
  char *file;
  char **argv;
  char **envp;
  char *cwd;
  int has_uid, has_gid, has_groups;
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS];
  int ngroups;
  int nlimits;
  int limit_res[MAX_LIMITS];
  struct rlimit limit_val[MAX_LIMITS];
  int umask_value; /* -1: leave it */
  int stdio[3];
  int pipe_write[3]; /* write ends for the child, -1 when not piped */
  int nfds;
  int fd_target[MAX_FDS];
  int fd_source[MAX_FDS];
};

struct child_error {
  int err;
  int stage;
};

static void child_fail(int errpipe, int stage) {
  struct child_error e = {errno, stage};
  ssize_t n = write(errpipe, &e, sizeof e);
  (void)n;
  _exit(127);
}

/* Runs in the vfork child. */
static void child_main(struct spawn_plan *p, int errpipe) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  /* Node ignores SIGPIPE and handles others; a child must start with the defaults. */
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, NULL);
  }
  if (setsid() < 0) child_fail(errpipe, 0);
  for (int i = 0; i < p->nlimits; i++) {
    if (setrlimit(p->limit_res[i], &p->limit_val[i]) < 0) child_fail(errpipe, 1);
  }
  if (p->has_groups && syscall(SYS_setgroups, (size_t)p->ngroups, p->groups) < 0) child_fail(errpipe, 2);
  if (p->has_gid && syscall(SYS_setgid, p->gid) < 0) child_fail(errpipe, 3);
  if (p->has_uid && syscall(SYS_setuid, p->uid) < 0) child_fail(errpipe, 4);
  if (p->cwd && chdir(p->cwd) < 0) child_fail(errpipe, 5);
  if (p->umask_value >= 0) umask((mode_t)p->umask_value);
  for (int fd = 0; fd < 3; fd++) {
    int source = -1;
    if (p->stdio[fd] == STDIO_PIPE) {
      source = p->pipe_write[fd];
    } else if (p->stdio[fd] == STDIO_NULL) {
      source = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (source < 0) child_fail(errpipe, 6);
    }
    if (source >= 0 && dup2(source, fd) < 0) child_fail(errpipe, 7);
  }
  /* Sources were moved above every target by the parent, so no dup2 clobbers one. */
  for (int i = 0; i < p->nfds; i++) {
    if (dup2(p->fd_source[i], p->fd_target[i]) < 0) child_fail(errpipe, 7);
  }
  /* Every other fd closes at exec: the child inherits fds 0-2 and the ones asked for. */
  int first = 3;
  for (;;) {
    int next = -1;
    for (int i = 0; i < p->nfds; i++) {
      if (p->fd_target[i] >= first && (next < 0 || p->fd_target[i] < next)) next = p->fd_target[i];
    }
    unsigned int last = next < 0 ? ~0U : (unsigned int)next - 1;
    if ((unsigned int)first <= last) syscall(SYS_close_range, (unsigned int)first, last, CLOSE_RANGE_CLOEXEC);
    if (next < 0) break;
    first = next + 1;
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(p->file, p->argv, p->envp);
  child_fail(errpipe, 8);
}

/* ---- N-API plumbing ---- */


static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static char *get_string(napi_env env, napi_value value) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, value, s, len + 1, &len);
  return s;
}


static char **get_string_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    out[i] = get_string(env, item);
    if (!out[i]) {
      for (uint32_t j = 0; j < i; j++) free(out[j]);
      free(out);
      return NULL;
    }
  }
  return out;
}

static void free_string_array(char **arr) {
  if (!arr) return;
  for (char **p = arr; *p; p++) free(*p);
  free(arr);
}

static int get_int(napi_env env, napi_value obj, const char *name, int64_t *out) {
  napi_value v;
  if (!napi_prop(env, obj, name, &v)) return 0;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  *out = (int64_t)d;
  return 1;
}

static int stdio_mode(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  if (!napi_prop(env, obj, name, &v)) return STDIO_NULL;
  char buf[16] = {0};
  size_t len;
  napi_get_value_string_utf8(env, v, buf, sizeof buf, &len);
  if (strcmp(buf, "pipe") == 0) return STDIO_PIPE;
  if (strcmp(buf, "inherit") == 0) return STDIO_INHERIT;
  return STDIO_NULL;
}

static const struct {
  const char *name;
  int res;
} LIMITS[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

/* spawn({file, argv, env, cwd?, uid?, gid?, groups?, rlimits?: [[name, value|-1]], umask?,
 *        stdin, stdout, stderr: "pipe"|"null"|"inherit", fds?: [[target, source]]})
 *   -> {pid, stdout: fd|-1, stderr: fd|-1} */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts;
  napi_get_cb_info(env, info, &argc, &opts, NULL, NULL);
  if (argc < 1) return throw_type(env, "spawn(options) expects an object");

  struct spawn_plan p;
  memset(&p, 0, sizeof p);
  p.umask_value = -1;
  for (int i = 0; i < 3; i++) p.pipe_write[i] = -1;
  int pipe_read[3] = {-1, -1, -1};
  int moved[MAX_FDS];
  int nmoved = 0;
  napi_value v, result = NULL;
  int64_t n;

  if (!napi_prop(env, opts, "file", &v) || !(p.file = get_string(env, v))) {
    throw_type(env, "spawn: file is required");
    goto done;
  }
  if (!napi_prop(env, opts, "argv", &v) || !(p.argv = get_string_array(env, v))) {
    throw_type(env, "spawn: argv is required");
    goto done;
  }
  if (!napi_prop(env, opts, "env", &v) || !(p.envp = get_string_array(env, v))) {
    throw_type(env, "spawn: env is required");
    goto done;
  }
  if (napi_prop(env, opts, "cwd", &v)) p.cwd = get_string(env, v);
  if (get_int(env, opts, "uid", &n) == 1) p.has_uid = 1, p.uid = (uid_t)n;
  if (get_int(env, opts, "gid", &n) == 1) p.has_gid = 1, p.gid = (gid_t)n;
  if (get_int(env, opts, "umask", &n) == 1) p.umask_value = (int)n;
  if (napi_prop(env, opts, "groups", &v)) {
    uint32_t len;
    napi_get_array_length(env, v, &len);
    if (len > MAX_GROUPS) len = MAX_GROUPS;
    p.has_groups = 1;
    p.ngroups = (int)len;
    for (uint32_t i = 0; i < len; i++) {
      napi_value item;
      uint32_t g;
      napi_get_element(env, v, i, &item);
      napi_get_value_uint32(env, item, &g);
      p.groups[i] = (gid_t)g;
    }
  }
  if (napi_prop(env, opts, "rlimits", &v)) {
    uint32_t len;
    napi_get_array_length(env, v, &len);
    for (uint32_t i = 0; i < len && p.nlimits < MAX_LIMITS; i++) {
      napi_value pair, name_v, val_v;
      napi_get_element(env, v, i, &pair);
      napi_get_element(env, pair, 0, &name_v);
      napi_get_element(env, pair, 1, &val_v);
      char name[32] = {0};
      size_t len2;
      double value;
      napi_get_value_string_utf8(env, name_v, name, sizeof name, &len2);
      napi_get_value_double(env, val_v, &value);
      int res = -1;
      for (size_t k = 0; k < sizeof LIMITS / sizeof LIMITS[0]; k++) {
        if (strcmp(LIMITS[k].name, name) == 0) res = LIMITS[k].res;
      }
      if (res < 0) {
        throw_type(env, "spawn: unknown rlimit");
        goto done;
      }
      rlim_t r = value < 0 ? RLIM_INFINITY : (rlim_t)value;
      p.limit_res[p.nlimits] = res;
      p.limit_val[p.nlimits].rlim_cur = r;
      p.limit_val[p.nlimits].rlim_max = r;
      p.nlimits++;
    }
  }
  p.stdio[0] = stdio_mode(env, opts, "stdin");
  p.stdio[1] = stdio_mode(env, opts, "stdout");
  p.stdio[2] = stdio_mode(env, opts, "stderr");
  if (p.stdio[0] == STDIO_PIPE) p.stdio[0] = STDIO_NULL;
  if (napi_prop(env, opts, "fds", &v)) {
    uint32_t len;
    napi_get_array_length(env, v, &len);
    int top = 3;
    for (uint32_t i = 0; i < len && p.nfds < MAX_FDS; i++) {
      napi_value pair, a, b;
      int32_t target, source;
      napi_get_element(env, v, i, &pair);
      napi_get_element(env, pair, 0, &a);
      napi_get_element(env, pair, 1, &b);
      napi_get_value_int32(env, a, &target);
      napi_get_value_int32(env, b, &source);
      p.fd_target[p.nfds] = target;
      p.fd_source[p.nfds] = source;
      if (target >= top) top = target + 1;
      p.nfds++;
    }
    /* Move every source above every target, so the child's dup2s cannot clobber a source. */
    for (int i = 0; i < p.nfds; i++) {
      int fd = fcntl(p.fd_source[i], F_DUPFD_CLOEXEC, top);
      if (fd < 0) {
        throw_errno(env, errno, "fcntl", NULL);
        goto done;
      }
      moved[nmoved++] = fd;
      p.fd_source[i] = fd;
    }
  }
  for (int fd = 1; fd < 3; fd++) {
    if (p.stdio[fd] != STDIO_PIPE) continue;
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) < 0) {
      throw_errno(env, errno, "pipe2", NULL);
      goto done;
    }
    /* Keep both ends off 0-2, which may be closed in a daemon. */
    for (int e = 0; e < 2; e++) {
      if (ends[e] < 3) {
        int high = fcntl(ends[e], F_DUPFD_CLOEXEC, 3);
        close(ends[e]);
        ends[e] = high;
      }
    }
    pipe_read[fd] = ends[0];
    p.pipe_write[fd] = ends[1];
  }

  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe2", NULL);
    goto done;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = vfork();
  if (pid == 0) child_main(&p, errpipe[1]);
  int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(errpipe[1]);
  if (pid < 0) {
    close(errpipe[0]);
    throw_errno(env, vfork_errno, "vfork", NULL);
    goto done;
  }
  struct child_error ce;
  ssize_t got;
  do {
    got = read(errpipe[0], &ce, sizeof ce);
  } while (got < 0 && errno == EINTR);
  close(errpipe[0]);
  if (got == (ssize_t)sizeof ce) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw_errno(env, ce.err, STAGES[ce.stage], NULL);
    goto done;
  }

  napi_value pid_v, out_v, err_v;
  napi_create_object(env, &result);
  napi_create_int32(env, pid, &pid_v);
  napi_create_int32(env, pipe_read[1], &out_v);
  napi_create_int32(env, pipe_read[2], &err_v);
  napi_set_named_property(env, result, "pid", pid_v);
  napi_set_named_property(env, result, "stdout", out_v);
  napi_set_named_property(env, result, "stderr", err_v);
  pipe_read[1] = pipe_read[2] = -1; /* handed to JS */

done:
  for (int fd = 1; fd < 3; fd++) {
    if (p.pipe_write[fd] >= 0) close(p.pipe_write[fd]);
    if (pipe_read[fd] >= 0) close(pipe_read[fd]);
  }
  for (int i = 0; i < nmoved; i++) close(moved[i]);
  free(p.file);
  free(p.cwd);
  free_string_array(p.argv);
  free_string_array(p.envp);
  return result;
}

/* reap(pids: Int32Array) -> [[pid, code|-1, signal|0], ...] for the children that exited. */
static napi_value js_reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  if (argc < 1 || napi_get_typedarray_info(env, arg, &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_int32_array) {
    return throw_type(env, "reap(pids) expects an Int32Array");
  }
  int32_t *pids = data;
  napi_value out;
  napi_create_array(env, &out);
  uint32_t count = 0;
  for (size_t i = 0; i < length; i++) {
    int status;
    pid_t r;
    do {
      r = waitpid(pids[i], &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) continue;
    int code = -1, sig = 0;
    if (r > 0) {
      if (WIFEXITED(status)) code = WEXITSTATUS(status);
      else if (WIFSIGNALED(status)) sig = WTERMSIG(status);
      else continue; /* stopped or continued: still alive */
    }
    /* r < 0 (ECHILD): already reaped elsewhere; report it gone all the same. */
    napi_value row, a, b, c;
    napi_create_array_with_length(env, 3, &row);
    napi_create_int32(env, pids[i], &a);
    napi_create_int32(env, code, &b);
    napi_create_int32(env, sig, &c);
    napi_set_element(env, row, 0, a);
    napi_set_element(env, row, 1, b);
    napi_set_element(env, row, 2, c);
    napi_set_element(env, out, count++, row);
  }
  return out;
}

/*
 * setPipeSize(fd, bytes) -> the pipe's new capacity, or -1 when the kernel refuses (past
 * pipe-max-size, or the user's pipe-user-pages limits): the caller keeps the pipe as it is.
 */
static napi_value js_set_pipe_size(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1, bytes = 0;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &bytes);
  int size = fcntl(fd, F_SETPIPE_SZ, bytes);
  napi_value out;
  napi_create_int32(env, size, &out);
  return out;
}

/* native/sockets.c */
void circus_sockets_init(napi_env env, napi_value exports);
/* native/readable.c */
void circus_readable_init(napi_env env, napi_value exports);
/* native/unix-dgram.c */
void circus_unix_dgram_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  napi_value spawn_fn, reap_fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, js_spawn, NULL, &spawn_fn);
  napi_create_function(env, "reap", NAPI_AUTO_LENGTH, js_reap, NULL, &reap_fn);
  napi_set_named_property(env, exports, "spawn", spawn_fn);
  napi_set_named_property(env, exports, "reap", reap_fn);
  napi_value pipe_fn;
  napi_create_function(env, "setPipeSize", NAPI_AUTO_LENGTH, js_set_pipe_size, NULL, &pipe_fn);
  napi_set_named_property(env, exports, "setPipeSize", pipe_fn);
  circus_sockets_init(env, exports);
  circus_readable_init(env, exports);
  circus_unix_dgram_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
