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
#include <stdarg.h>
#include <stdbool.h>
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

enum stdio_mode { STDIO_INHERIT = 0, STDIO_NULL = 1, STDIO_PIPE = 2 };

/* The step of the child that failed, reported to the parent through the error pipe. */
enum stage { SETSID, SETRLIMIT, SETGROUPS, SETGID, SETUID, CHDIR, OPEN_NULL, DUP2, EXECVE };
static const char *STAGES[] = {"setsid", "setrlimit", "setgroups", "setgid", "setuid",
                               "chdir", "open /dev/null", "dup2", "execve"};

struct limit {
  int res;
  struct rlimit value;
};

/* One fd handed over: circusd's `source` becomes the child's `target`. */
struct fd_move {
  int target;
  int source;
};

/*
 * Every list is as long as the caller's, allocated here in the parent: the vfork child may
 * not allocate, and a fixed array would have to cut what does not fit.
 */
struct spawn_plan {
  char *file;
  char **argv;
  char **envp;
  char *cwd;
  int has_uid, has_gid, has_groups;
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  size_t ngroups;
  struct limit *limits;
  size_t nlimits;
  int umask_value; /* -1: leave it */
  int stdio[3];
  int pipe_write[3]; /* write ends for the child, -1 when not piped */
  struct fd_move *fds; /* sorted by target */
  size_t nfds;
  size_t nmoved; /* fds[0, nmoved) hold circusd's copies of the sources, closed after the spawn */
};

struct child_error {
  int err;
  int stage;
  int index; /* the rlimit or fd that failed; -1 for none */
};

static void child_fail(int errpipe, enum stage stage, int index) {
  struct child_error e = {errno, stage, index};
  ssize_t n = write(errpipe, &e, sizeof e);
  (void)n;
  _exit(127);
}

/* Every fd but 0-2 and the targets closes at exec; the targets are sorted, so one pass. */
static void close_others(const struct spawn_plan *p) {
  unsigned int first = 3;
  for (size_t i = 0; i < p->nfds; i++) {
    unsigned int target = (unsigned int)p->fds[i].target;
    if (target < first) continue;
    if (target > first) syscall(SYS_close_range, first, target - 1, CLOSE_RANGE_CLOEXEC);
    first = target + 1;
  }
  syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC);
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
  if (setsid() < 0) child_fail(errpipe, SETSID, -1);
  for (size_t i = 0; i < p->nlimits; i++) {
    if (setrlimit(p->limits[i].res, &p->limits[i].value) < 0) child_fail(errpipe, SETRLIMIT, (int)i);
  }
  if (p->has_groups && syscall(SYS_setgroups, p->ngroups, p->groups) < 0) child_fail(errpipe, SETGROUPS, -1);
  if (p->has_gid && syscall(SYS_setgid, p->gid) < 0) child_fail(errpipe, SETGID, -1);
  if (p->has_uid && syscall(SYS_setuid, p->uid) < 0) child_fail(errpipe, SETUID, -1);
  if (p->cwd && chdir(p->cwd) < 0) child_fail(errpipe, CHDIR, -1);
  if (p->umask_value >= 0) umask((mode_t)p->umask_value);
  for (int fd = 0; fd < 3; fd++) {
    int source = -1;
    if (p->stdio[fd] == STDIO_PIPE) {
      source = p->pipe_write[fd];
    } else if (p->stdio[fd] == STDIO_NULL) {
      source = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (source < 0) child_fail(errpipe, OPEN_NULL, -1);
    }
    if (source >= 0 && dup2(source, fd) < 0) child_fail(errpipe, DUP2, -1);
  }
  /* Sources were moved above every target by the parent, so no dup2 clobbers one. */
  for (size_t i = 0; i < p->nfds; i++) {
    if (dup2(p->fds[i].source, p->fds[i].target) < 0) child_fail(errpipe, DUP2, (int)i);
  }
  close_others(p);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(p->file, p->argv, p->envp);
  child_fail(errpipe, EXECVE, -1);
}

/* ---- N-API plumbing ---- */

/* Throws a TypeError with a formatted message; returns 0 for `return throw_type(...)`. */
static int throw_type(napi_env env, const char *fmt, ...) {
  char msg[256];
  va_list args;
  va_start(args, fmt);
  vsnprintf(msg, sizeof msg, fmt, args);
  va_end(args);
  napi_throw_type_error(env, NULL, msg);
  return 0;
}

/* A malloc'd copy of a JS string; NULL when it is no string or holds a NUL (exec would cut it). */
static char *get_string(napi_env env, napi_value value) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, value, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    return NULL;
  }
  return s;
}

/* throw_errno for the functions here that return 0 on failure. */
static int fail_errno(napi_env env, int err, const char *syscall_name, const char *what) {
  throw_errno(env, err, syscall_name, what);
  return 0;
}

/* calloc for `count` items (never 0 bytes, which may give NULL); NULL with an error thrown. */
static void *alloc_items(napi_env env, size_t count, size_t size, const char *name) {
  void *items = calloc(count ? count : 1, size);
  if (!items) throw_errno(env, ENOMEM, "malloc", name);
  return items;
}

/* The length of an array option; 0 (a TypeError thrown) when it is no array. */
static int array_length(napi_env env, napi_value v, const char *name, uint32_t *len) {
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array || napi_get_array_length(env, v, len) != napi_ok)
    return throw_type(env, "spawn: %s must be an array", name);
  return 1;
}

static void free_string_array(char **arr) {
  if (!arr) return;
  for (char **p = arr; *p; p++) free(*p);
  free(arr);
}

/* A NULL-terminated copy of an array of strings; NULL (a TypeError thrown) on a bad item. */
static char **get_string_array(napi_env env, napi_value arr, const char *name) {
  uint32_t n = 0;
  if (!array_length(env, arr, name, &n)) return NULL;
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (!out) {
    throw_errno(env, ENOMEM, "malloc", name);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    out[i] = get_string(env, item);
    if (!out[i]) {
      free_string_array(out);
      throw_type(env, "spawn: %s[%u] must be a string without NUL bytes", name, i);
      return NULL;
    }
  }
  return out;
}

static int get_int(napi_env env, napi_value obj, const char *name, int64_t *out) {
  napi_value v;
  if (!napi_prop(env, obj, name, &v)) return 0;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  *out = (int64_t)d;
  return 1;
}

/* A whole number in [min, max]; 0 when v is anything else (NaN, a fraction, a string...). */
static int get_whole(napi_env env, napi_value v, double min, double max, double *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= min && d <= max) ||
      d != (double)(int64_t)d)
    return 0;
  *out = d;
  return 1;
}

/* Item i of a list of pairs ([a, b]); 0 when it is not one. */
static int get_pair(napi_env env, napi_value arr, uint32_t i, napi_value *a, napi_value *b) {
  napi_value pair;
  bool is_array = false;
  uint32_t len = 0;
  if (napi_get_element(env, arr, i, &pair) != napi_ok) return 0;
  napi_is_array(env, pair, &is_array);
  if (!is_array || napi_get_array_length(env, pair, &len) != napi_ok || len != 2) return 0;
  return napi_get_element(env, pair, 0, a) == napi_ok && napi_get_element(env, pair, 1, b) == napi_ok;
}

/* An absent stdio option is /dev/null; an unknown one is refused, not taken as /dev/null. */
static int stdio_mode(napi_env env, napi_value obj, const char *name, int *mode) {
  napi_value v;
  *mode = STDIO_NULL;
  if (!napi_prop(env, obj, name, &v)) return 1;
  char buf[16] = "";
  size_t len;
  if (!napi_string_whole(env, v, buf, sizeof buf, &len)) buf[0] = '\0';
  if (strcmp(buf, "pipe") == 0) *mode = STDIO_PIPE;
  else if (strcmp(buf, "inherit") == 0) *mode = STDIO_INHERIT;
  else if (strcmp(buf, "null") != 0)
    return throw_type(env, "spawn: %s must be \"pipe\", \"null\" or \"inherit\"", name);
  return 1;
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
#define NLIMITS (sizeof LIMITS / sizeof LIMITS[0])

static const char *limit_name(int res) {
  for (size_t k = 0; k < NLIMITS; k++) {
    if (LIMITS[k].res == res) return LIMITS[k].name;
  }
  return "?";
}

/* Refuses a name the table lacks, listing the ones it has. */
static int throw_unknown_limit(napi_env env, const char *name) {
  char known[256] = "";
  size_t used = 0;
  for (size_t k = 0; k < NLIMITS && used < sizeof known; k++) {
    used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "", LIMITS[k].name);
  }
  throw_refused(env, EINVAL, "setrlimit", "unknown resource limit \"%.64s\" (known: %s)", name, known);
  return 0;
}

/* One [name, value] of rlimits into *out; value -1 is RLIM_INFINITY. */
static int read_limit(napi_env env, napi_value arr, uint32_t i, struct limit *out) {
  napi_value name_v, value_v;
  double value;
  if (!get_pair(env, arr, i, &name_v, &value_v) ||
      !get_whole(env, value_v, -1, 9007199254740991.0 /* 2^53 - 1 */, &value))
    return throw_type(env, "spawn: rlimits[%u] must be [name, integer >= -1]", i);
  char *name = get_string(env, name_v);
  if (!name) return throw_type(env, "spawn: rlimits[%u] must be [name, integer >= -1]", i);
  out->res = -1;
  for (size_t k = 0; k < NLIMITS; k++) {
    if (strcmp(LIMITS[k].name, name) == 0) out->res = LIMITS[k].res;
  }
  if (out->res < 0) {
    throw_unknown_limit(env, name);
    free(name);
    return 0;
  }
  free(name);
  rlim_t r = value < 0 ? RLIM_INFINITY : (rlim_t)value;
  out->value.rlim_cur = out->value.rlim_max = r;
  return 1;
}

/* Every rlimit given; a name given twice is refused, since only one value could hold. */
static int read_limits(napi_env env, napi_value arr, struct spawn_plan *p) {
  uint32_t len;
  if (!array_length(env, arr, "rlimits", &len)) return 0;
  if (!(p->limits = alloc_items(env, len, sizeof *p->limits, "rlimits"))) return 0;
  for (uint32_t i = 0; i < len; i++) {
    if (!read_limit(env, arr, i, &p->limits[i])) return 0;
    for (uint32_t j = 0; j < i; j++) {
      if (p->limits[j].res == p->limits[i].res) {
        throw_refused(env, EINVAL, "setrlimit", "resource limit \"%s\" given twice",
                      limit_name(p->limits[i].res));
        return 0;
      }
    }
    p->nlimits++;
  }
  return 1;
}

/* Every supplementary group given; more than the kernel takes (NGROUPS_MAX) is refused. */
static int read_groups(napi_env env, napi_value arr, struct spawn_plan *p) {
  uint32_t len;
  if (!array_length(env, arr, "groups", &len)) return 0;
  long max = sysconf(_SC_NGROUPS_MAX);
  if (max >= 0 && len > (unsigned long)max) {
    throw_refused(env, EINVAL, "setgroups",
                  "%u supplementary groups, more than the kernel accepts (NGROUPS_MAX %ld)", len, max);
    return 0;
  }
  if (!(p->groups = alloc_items(env, len, sizeof *p->groups, "groups"))) return 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value item;
    double g;
    napi_get_element(env, arr, i, &item);
    /* (gid_t)-1 is "no group" to the kernel, never a group id. */
    if (!get_whole(env, item, 0, (double)(gid_t)-2, &g))
      return throw_type(env, "spawn: groups[%u] must be a group id (0 to %u)", i, (gid_t)-2);
    p->groups[i] = (gid_t)g;
  }
  p->ngroups = len;
  p->has_groups = 1;
  return 1;
}

static int compare_targets(const void *a, const void *b) {
  int x = ((const struct fd_move *)a)->target, y = ((const struct fd_move *)b)->target;
  return (x > y) - (x < y);
}

/* The child's open-files limit once its rlimits are set: no fd of its can be at or above it. */
static rlim_t child_nofile(const struct spawn_plan *p) {
  for (size_t i = 0; i < p->nlimits; i++) {
    if (p->limits[i].res == RLIMIT_NOFILE) return p->limits[i].value.rlim_cur;
  }
  struct rlimit rl;
  return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : RLIM_INFINITY;
}

/* Refuses two sources for one target and targets the child's open-files limit cannot hold. */
static int check_targets(napi_env env, const struct spawn_plan *p) {
  for (size_t i = 1; i < p->nfds; i++) {
    if (p->fds[i].target == p->fds[i - 1].target) {
      throw_refused(env, EINVAL, "dup2", "fd %d of the child is given twice (from fds %d and %d)",
                    p->fds[i].target, p->fds[i - 1].source, p->fds[i].source);
      return 0;
    }
  }
  rlim_t limit = child_nofile(p);
  size_t over = 0;
  for (size_t i = 0; i < p->nfds; i++) over += (rlim_t)p->fds[i].target >= limit;
  if (over == 0) return 1;
  throw_refused(env, EBADF, "dup2",
                "fds to hand over: %zu of %zu at or above the child's open-files limit "
                "(RLIMIT_NOFILE %llu), the highest being fd %d",
                over, p->nfds, (unsigned long long)limit, p->fds[p->nfds - 1].target);
  return 0;
}

/* Every [target, source] given, sorted by target (the child closes the gaps in one pass). */
static int read_fds(napi_env env, napi_value arr, struct spawn_plan *p) {
  uint32_t len;
  if (!array_length(env, arr, "fds", &len)) return 0;
  if (!(p->fds = alloc_items(env, len, sizeof *p->fds, "fds"))) return 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value a, b;
    double target, source;
    if (!get_pair(env, arr, i, &a, &b) || !get_whole(env, a, 0, INT32_MAX, &target) ||
        !get_whole(env, b, 0, INT32_MAX, &source))
      return throw_type(env, "spawn: fds[%u] must be [fd in the child, fd in circusd]", i);
    p->fds[i].target = (int)target;
    p->fds[i].source = (int)source;
  }
  p->nfds = len;
  qsort(p->fds, p->nfds, sizeof *p->fds, compare_targets);
  return check_targets(env, p);
}

/*
 * Moves every source above every target (as CLOEXEC copies), so that the child's dup2s cannot
 * clobber a source, and a dup2 onto an fd that is its own source still clears CLOEXEC.
 */
static int move_sources(napi_env env, struct spawn_plan *p) {
  int top = 3;
  if (p->nfds > 0 && p->fds[p->nfds - 1].target >= top) top = p->fds[p->nfds - 1].target + 1;
  for (; p->nmoved < p->nfds; p->nmoved++) {
    struct fd_move *m = &p->fds[p->nmoved];
    int fd = fcntl(m->source, F_DUPFD_CLOEXEC, top);
    if (fd >= 0) {
      m->source = fd;
      continue;
    }
    int err = errno;
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (err == EBADF)
      throw_refused(env, err, "fcntl", "fd %d, to be fd %d of the child, is not open", m->source,
                    m->target);
    else
      throw_refused(env, err, "fcntl",
                    "no room in circusd for copies of the fds to hand over (%zu) above fd %d, the "
                    "highest target: %s (circusd's RLIMIT_NOFILE is %llu)",
                    p->nfds, top - 1, strerror(err), (unsigned long long)rl.rlim_cur);
    return 0;
  }
  return 1;
}

/* Reads the options into p; 0 with a JS exception pending when they are refused. */
static int read_plan(napi_env env, napi_value opts, struct spawn_plan *p) {
  napi_value v;
  int64_t n;
  if (!napi_prop(env, opts, "file", &v) || !(p->file = get_string(env, v)))
    return throw_type(env, "spawn: file must be a string without NUL bytes");
  if (!napi_prop(env, opts, "argv", &v)) return throw_type(env, "spawn: argv is required");
  if (!(p->argv = get_string_array(env, v, "argv"))) return 0;
  if (!napi_prop(env, opts, "env", &v)) return throw_type(env, "spawn: env is required");
  if (!(p->envp = get_string_array(env, v, "env"))) return 0;
  if (napi_prop(env, opts, "cwd", &v) && !(p->cwd = get_string(env, v)))
    return throw_type(env, "spawn: cwd must be a string without NUL bytes");
  if (get_int(env, opts, "uid", &n) == 1) p->has_uid = 1, p->uid = (uid_t)n;
  if (get_int(env, opts, "gid", &n) == 1) p->has_gid = 1, p->gid = (gid_t)n;
  if (get_int(env, opts, "umask", &n) == 1) p->umask_value = (int)n;
  if (napi_prop(env, opts, "groups", &v) && !read_groups(env, v, p)) return 0;
  /* Before fds: the child's fd numbers are checked against its own nofile limit. */
  if (napi_prop(env, opts, "rlimits", &v) && !read_limits(env, v, p)) return 0;
  if (!stdio_mode(env, opts, "stdin", &p->stdio[0]) || !stdio_mode(env, opts, "stdout", &p->stdio[1]) ||
      !stdio_mode(env, opts, "stderr", &p->stdio[2]))
    return 0;
  if (p->stdio[0] == STDIO_PIPE) p->stdio[0] = STDIO_NULL;
  if (napi_prop(env, opts, "fds", &v) && !read_fds(env, v, p)) return 0;
  return 1;
}

/* The parent's ends of the stdout and stderr pipes into pipe_read, the child's into p. */
static int open_pipes(napi_env env, struct spawn_plan *p, int pipe_read[3]) {
  for (int fd = 1; fd < 3; fd++) {
    if (p->stdio[fd] != STDIO_PIPE) continue;
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) < 0) return fail_errno(env, errno, "pipe2", NULL);
    /* Keep both ends off 0-2, which may be closed in a daemon. */
    for (int e = 0; e < 2; e++) {
      if (ends[e] < 3) {
        int high = fcntl(ends[e], F_DUPFD_CLOEXEC, 3);
        close(ends[e]);
        ends[e] = high;
      }
    }
    pipe_read[fd] = ends[0];
    p->pipe_write[fd] = ends[1];
  }
  return 1;
}

/* The child's failure, naming the rlimit or fd at fault when there is one. */
static void throw_child_error(napi_env env, const struct spawn_plan *p, const struct child_error *ce) {
  char what[64];
  const char *detail = NULL;
  if (ce->stage == SETRLIMIT && ce->index >= 0 && (size_t)ce->index < p->nlimits) {
    detail = limit_name(p->limits[ce->index].res);
  } else if (ce->stage == DUP2 && ce->index >= 0 && (size_t)ce->index < p->nfds) {
    snprintf(what, sizeof what, "fd %d", p->fds[ce->index].target);
    detail = what;
  }
  throw_errno(env, ce->err, STAGES[ce->stage], detail);
}

/* vforks and execs; the pid, or -1 with a JS exception pending. */
static pid_t start_child(napi_env env, struct spawn_plan *p) {
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe2", NULL);
    return -1;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = vfork();
  if (pid == 0) child_main(p, errpipe[1]);
  int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(errpipe[1]);
  if (pid < 0) {
    close(errpipe[0]);
    throw_errno(env, vfork_errno, "vfork", NULL);
    return -1;
  }
  struct child_error ce;
  ssize_t got;
  do {
    got = read(errpipe[0], &ce, sizeof ce);
  } while (got < 0 && errno == EINTR);
  close(errpipe[0]);
  if (got != (ssize_t)sizeof ce) return pid;
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  throw_child_error(env, p, &ce);
  return -1;
}

/* spawn({file, argv, env, cwd?, uid?, gid?, groups?, rlimits?: [[name, value|-1]], umask?,
 *        stdin, stdout, stderr: "pipe"|"null"|"inherit", fds?: [[target, source]]})
 *   -> {pid, stdout: fd|-1, stderr: fd|-1}
 * Every group, rlimit and fd given is applied, or the spawn fails saying which and why. */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts;
  napi_get_cb_info(env, info, &argc, &opts, NULL, NULL);
  if (argc < 1) {
    throw_type(env, "spawn(options) expects an object");
    return NULL;
  }

  struct spawn_plan p;
  memset(&p, 0, sizeof p);
  p.umask_value = -1;
  for (int i = 0; i < 3; i++) p.pipe_write[i] = -1;
  int pipe_read[3] = {-1, -1, -1};
  napi_value result = NULL;

  if (!read_plan(env, opts, &p) || !move_sources(env, &p) || !open_pipes(env, &p, pipe_read)) goto done;
  pid_t pid = start_child(env, &p);
  if (pid < 0) goto done;

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
  for (size_t i = 0; i < p.nmoved; i++) close(p.fds[i].source);
  free(p.file);
  free(p.cwd);
  free_string_array(p.argv);
  free_string_array(p.envp);
  free(p.groups);
  free(p.limits);
  free(p.fds);
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
    throw_type(env, "reap(pids) expects an Int32Array");
    return NULL;
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
