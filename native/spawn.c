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
#include "module.h"
#include "spawn-plan.h"
#include "spawn-slots.h"
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
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#include <sched.h>

/* The step of the child that failed, reported to the parent through the error pipe. */
enum stage { UNSHARE, SETSID, SETRLIMIT, SETGROUPS, SETGID, SETUID, CHDIR, OPEN_NULL, DUP2, EXECVE };
static const char *STAGES[] = {"close_range", "setsid", "setrlimit", "setgroups", "setgid", "setuid",
                               "chdir", "open /dev/null", "dup2", "execve"};

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

/* What the clone child runs: its fds are circusd's slots, its table shared until unshared. */
struct clone_arg {
  struct spawn_plan *plan;
  int errpipe;
};

static int clone_child(void *arg) {
  struct clone_arg *a = arg;
  /* Only the fds below the slots' end are copied: the slots and circusd's first few. */
  if (syscall(SYS_close_range, (unsigned int)slots_end(), ~0U, CLOSE_RANGE_UNSHARE) < 0)
    child_fail(a->errpipe, UNSHARE, -1);
  child_main(a->plan, a->errpipe);
  return 127;
}

/* Cleared when the kernel refuses CLOSE_RANGE_UNSHARE (before 5.9): every spawn copies then. */
static bool unshare_works = true;
/* The clone child's stack; one spawn at a time, and the parent waits while it runs. */
static char clone_stack[256 * 1024] __attribute__((aligned(16)));

/*
 * Starts the child sharing circusd's fd table until it unshares the slots only (see
 * spawn-slots.c); -2 when the spawn cannot go that way (too many fds, a target on a slot),
 * for the caller to vfork instead.
 */
static pid_t clone_child_with_slots(struct spawn_plan *p, int errpipe) {
  if (!unshare_works || !slots_init() || p->nfds + 3 > SPAWN_SLOTS) return -2;
  for (size_t i = 0; i < p->nfds; i++)
    if (slots_contain(p->fds[i].target)) return -2;
  int lend[SPAWN_SLOTS];
  int n = 0;
  lend[n++] = errpipe;
  for (int fd = 1; fd < 3; fd++)
    if (p->pipe_write[fd] >= 0) lend[n++] = p->pipe_write[fd];
  for (size_t i = 0; i < p->nfds; i++) lend[n++] = p->fds[i].source;
  if (!slots_lend(lend, n)) return -2;
  struct fd_move moves[SPAWN_SLOTS];
  struct spawn_plan view = *p;
  int k = 1;
  for (int fd = 1; fd < 3; fd++)
    if (p->pipe_write[fd] >= 0) view.pipe_write[fd] = lend[k++];
  for (size_t i = 0; i < p->nfds; i++) moves[i] = (struct fd_move){p->fds[i].target, lend[k++]};
  view.fds = moves;
  struct clone_arg arg = {&view, lend[0]};
  pid_t pid = clone(clone_child, clone_stack + sizeof clone_stack,
                    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &arg);
  int err = errno;
  slots_return(n);
  errno = err;
  return pid;
}

/* Starts the child and waits for its exec; the pid, or -1 with a JS exception pending. */
static pid_t start_child(napi_env env, struct spawn_plan *p) {
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe2", NULL);
    return -1;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone_child_with_slots(p, errpipe[1]);
  if (pid == -2) {
    pid = vfork();
    if (pid == 0) child_main(p, errpipe[1]);
  }
  int start_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(errpipe[1]);
  if (pid < 0) {
    close(errpipe[0]);
    throw_errno(env, start_errno, "vfork", NULL);
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
  if (ce.stage == UNSHARE) {
    unshare_works = false;
    return start_child(env, p);
  }
  throw_child_error(env, p, &ce);
  return -1;
}

/* spawn({file, argv, env, cwd?, uid?, gid?, groups?, rlimits?: [[name, value|-1]], umask?,
 *        stdin, stdout, stderr: "pipe"|"null"|"inherit", fds?: [[target, source]]})
 *   -> {pid, stdout: fd|-1, stderr: fd|-1}
 * Every group, rlimit and fd given is applied, or the spawn fails saying which and why. */
napi_value js_spawn(napi_env env, napi_callback_info info) {
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
napi_value js_reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
  size_t length = 0;
  void *data = NULL;
  if (argc < 1 || !napi_typed_array(env, arg, napi_int32_array, &data, &length)) {
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
napi_value js_set_pipe_size(napi_env env, napi_callback_info info) {
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

/*
 * exitedChild() -> the pid of a child that has exited and waits to be reaped, or 0. The
 * child is left unreaped (WNOWAIT), so that a child started by someone else in the process
 * (Node's child_process) stays theirs to reap: the caller reaps only its own.
 */
napi_value js_exited_child(napi_env env, napi_callback_info info) {
  (void)info;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r;
  do {
    r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
  } while (r < 0 && errno == EINTR);
  napi_value out;
  napi_create_int32(env, r == 0 ? si.si_pid : 0, &out);
  return out;
}

/*
 * pipe() -> [read end, write end], both CLOEXEC and off 0-2: a pipe that several children
 * share as their stdout or stderr. Throws an Error with errno (EMFILE at the open-files limit).
 */
napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe2", NULL);
    return NULL;
  }
  for (int e = 0; e < 2; e++) {
    if (ends[e] >= 3) continue;
    int high = fcntl(ends[e], F_DUPFD_CLOEXEC, 3);
    close(ends[e]);
    ends[e] = high;
  }
  if (ends[0] < 0 || ends[1] < 0) {
    int err = errno;
    if (ends[0] >= 0) close(ends[0]);
    if (ends[1] >= 0) close(ends[1]);
    throw_errno(env, err, "fcntl", NULL);
    return NULL;
  }
  napi_value out, a, b;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, ends[0], &a);
  napi_create_int32(env, ends[1], &b);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, b);
  return out;
}
