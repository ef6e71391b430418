/* The plan of one spawn (spawn.c) and how spawn-plan.c reads it from the JS options. */
#ifndef CIRCUS_SPAWN_PLAN_H
#define CIRCUS_SPAWN_PLAN_H
#include "napi-util.h"
#include <node_api.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

enum stdio_mode { STDIO_INHERIT = 0, STDIO_NULL = 1, STDIO_PIPE = 2 };

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
 * Every list is as long as the caller's, allocated in the parent: the vfork child may
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

/* Reads the options into p; 0 with a JS exception pending when they are refused. */
int read_plan(napi_env env, napi_value opts, struct spawn_plan *p);
/* Copies the fds to hand over above every target, so that no dup2 overwrites a source. */
int move_sources(napi_env env, struct spawn_plan *p);
/* The name of an rlimit resource ("nofile"). */
const char *limit_name(int res);
void free_string_array(char **arr);

#endif
