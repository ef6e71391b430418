/*
 * Spawn slots. A vfork child gets a copy of circusd's fd table, and its exec then closes
 * every copied CLOEXEC fd: both cost as much as circusd has fds open, which at 10,000
 * processes (two pipes each) made every spawn several times slower than the first.
 * Instead the child shares the table (CLONE_FILES) and at once unshares it keeping only
 * the fds below slots_end() (close_range with CLOSE_RANGE_UNSHARE copies only those).
 * What it needs must then be below that line: the fds it needs are lent into slots, low fd
 * numbers reserved when the module loads, while the table is small, and holding /dev/null
 * in between.
 */
#define _GNU_SOURCE
#include "spawn-slots.h"
#include <fcntl.h>
#include <unistd.h>

static int slots[SPAWN_SLOTS];
static int placeholder = -1;
static int end = 0;
static int ready = -1; /* -1: not tried; 0: unavailable; 1: ready */

int slots_init(void) {
  if (ready >= 0) return ready;
  ready = 0;
  placeholder = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (placeholder < 0) return 0;
  for (int i = 0; i < SPAWN_SLOTS; i++) {
    slots[i] = fcntl(placeholder, F_DUPFD_CLOEXEC, 3);
    if (slots[i] < 0) {
      for (int j = 0; j < i; j++) close(slots[j]);
      close(placeholder);
      placeholder = -1;
      return 0;
    }
    if (slots[i] >= end) end = slots[i] + 1;
  }
  if (placeholder >= end) end = placeholder + 1;
  ready = 1;
  return 1;
}

int slots_end(void) { return end; }

int slots_contain(int fd) {
  for (int i = 0; i < SPAWN_SLOTS; i++)
    if (slots[i] == fd) return 1;
  return 0;
}

int slots_lend(int *fds, int n) {
  if (ready != 1 || n > SPAWN_SLOTS) return 0;
  for (int i = 0; i < n; i++) {
    if (dup3(fds[i], slots[i], O_CLOEXEC) < 0) {
      slots_return(i);
      return 0;
    }
    fds[i] = slots[i];
  }
  return 1;
}

void slots_return(int n) {
  for (int i = 0; i < n && i < SPAWN_SLOTS; i++) dup3(placeholder, slots[i], O_CLOEXEC);
}
