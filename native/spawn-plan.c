/*
 * What spawn() is given, read into a spawn_plan in the parent and checked there: every list
 * as long as the caller's (the vfork child may not allocate), and anything the child could
 * not honour refused with a message, never cut.
 */
#include "spawn-plan.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

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

void free_string_array(char **arr) {
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
  char buf[16] = "";
  *mode = STDIO_NULL;
  int found = napi_prop_string(env, obj, name, buf, sizeof buf);
  if (found == 0) return 1;
  if (found < 0) buf[0] = '\0';
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

const char *limit_name(int res) {
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
int move_sources(napi_env env, struct spawn_plan *p) {
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
int read_plan(napi_env env, napi_value opts, struct spawn_plan *p) {
  napi_value v;
  double n;
  if (!napi_prop(env, opts, "file", &v) || !(p->file = get_string(env, v)))
    return throw_type(env, "spawn: file must be a string without NUL bytes");
  if (!napi_prop(env, opts, "argv", &v)) return throw_type(env, "spawn: argv is required");
  if (!(p->argv = get_string_array(env, v, "argv"))) return 0;
  if (!napi_prop(env, opts, "env", &v)) return throw_type(env, "spawn: env is required");
  if (!(p->envp = get_string_array(env, v, "env"))) return 0;
  if (napi_prop(env, opts, "cwd", &v) && !(p->cwd = get_string(env, v)))
    return throw_type(env, "spawn: cwd must be a string without NUL bytes");
  if (napi_prop_number(env, opts, "uid", &n)) p->has_uid = 1, p->uid = (uid_t)(int64_t)n;
  if (napi_prop_number(env, opts, "gid", &n)) p->has_gid = 1, p->gid = (gid_t)(int64_t)n;
  if (napi_prop_number(env, opts, "umask", &n)) p->umask_value = (int)(int64_t)n;
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
