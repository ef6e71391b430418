/*
 * Raw limit for the benchmark: posix_spawn N copies of a command in a loop,
 * then wait for SIGTERM/SIGINT, forward SIGTERM to every child and reap them.
 * A child that dies before the stop is reaped and spawned again in its slot
 * at once (the raw limit of the `scale` scenario's kill of 100 children).
 *
 * Usage: spawn N PROGRAM [ARGS...]
 *
 * Prints "spawned N" once the loop is done, "respawned K" after each batch of
 * replacements, "stopping (N spawned)" as soon as a stop signal is noticed
 * (also in the middle of the loop), and "exited" after the last child was
 * reaped. Children get /dev/null as stdin/stdout/stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t child_exited = 0;

static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Only wakes sigsuspend: SIGCHLD's default disposition would not. */
static void on_child(int sig) {
  (void)sig;
  child_exited = 1;
}

static void say(const char *line) {
  /* write(2) directly: one line per call, no stdio buffering. */
  size_t len = strlen(line);
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, line, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    line += n;
    len -= (size_t)n;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s N PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  long n = strtol(argv[1], NULL, 10);
  if (n <= 0) {
    fprintf(stderr, "bad count: %s\n", argv[1]);
    return 2;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  struct sigaction sc;
  memset(&sc, 0, sizeof sc);
  sc.sa_handler = on_child;
  sigemptyset(&sc.sa_mask);
  sc.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sc, NULL);

  pid_t *pids = calloc((size_t)n, sizeof *pids);
  if (pids == NULL) {
    perror("calloc");
    return 1;
  }

  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    perror("open /dev/null");
    return 1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, devnull, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, devnull, STDERR_FILENO);

  /* Children start with an empty signal mask and default dispositions. */
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  long spawned = 0;
  for (long i = 0; i < n && !stop_requested; i++) {
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[2], &fa, &attr, &argv[2], environ);
    if (rc != 0) {
      fprintf(stderr, "posix_spawnp: %s\n", strerror(rc));
      break;
    }
    pids[spawned++] = pid;
  }
  /* Children that died so far are reaped by the first pass of the wait loop. */
  if (!stop_requested) {
    char msg[64];
    snprintf(msg, sizeof msg, "spawned %ld\n", spawned);
    say(msg);
  }

  /*
   * Wait for a stop signal without a race between the check and the sleep;
   * replace the children that die meanwhile (all that exited since the last
   * pass, then one line).
   */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGCHLD);
  sigprocmask(SIG_BLOCK, &block, &old);
  child_exited = 1;
  while (!stop_requested) {
    if (child_exited) {
      child_exited = 0;
      long respawned = 0;
      pid_t dead;
      while ((dead = waitpid(-1, NULL, WNOHANG)) > 0) {
        for (long i = 0; i < spawned; i++) {
          if (pids[i] != dead) continue;
          pid_t pid;
          int rc = posix_spawnp(&pid, argv[2], &fa, &attr, &argv[2], environ);
          if (rc != 0) fprintf(stderr, "posix_spawnp: %s\n", strerror(rc));
          pids[i] = rc == 0 ? pid : 0;
          respawned += rc == 0;
          break;
        }
      }
      if (respawned > 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "respawned %ld\n", respawned);
        say(msg);
      }
      continue;
    }
    sigsuspend(&old);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);

  {
    char msg[64];
    snprintf(msg, sizeof msg, "stopping (%ld spawned)\n", spawned);
    say(msg);
  }
  for (long i = 0; i < spawned; i++) {
    if (pids[i] > 0) kill(pids[i], SIGTERM);
  }
  for (long i = 0; i < spawned; i++) {
    while (pids[i] > 0 && waitpid(pids[i], NULL, 0) < 0 && errno == EINTR) {
    }
  }
  say("exited\n");
  return 0;
}
