/*
 * Output writer for the stdout throughput scenario: writes exactly BYTES bytes
 * of numbered lines to stdout with write(2) of 64 KiB blocks, then exits 0.
 *
 * Usage: writer BYTES [STAMPFILE]
 *
 * Every line is 128 bytes: a 16-digit zero-padded counter (0, 1, 2, ...), a
 * space, 110 filler characters and "\n". A 64 KiB block holds exactly 512
 * lines, so the block is built once and, after each write, only the counters
 * are advanced in place (a decimal add of 512): generating the data costs
 * next to nothing. The last block is cut at BYTES (a last partial line if
 * BYTES is not a multiple of 128).
 *
 * If STAMPFILE is given, "start NS" and "pid PID" are written to it first
 * thing and "end NS" after the last write, NS being CLOCK_MONOTONIC in nanoseconds (the clock of
 * Node's process.hrtime), so that the harness can time from the writer's
 * start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE 128
#define DIGITS 16
#define BLOCK 65536
#define LINES_PER_BLOCK (BLOCK / LINE)

static char block[BLOCK];

static long long monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void stamp(int fd, const char *what) {
  if (fd < 0) return;
  char text[96];
  long long ns = monotonic_ns();
  int len = what[0] == 's' ? snprintf(text, sizeof text, "start %lld\npid %ld\n", ns, (long)getpid())
                           : snprintf(text, sizeof text, "%s %lld\n", what, ns);
  if (write(fd, text, (size_t)len) != len) perror("writer: stamp");
}

/* Adds `amount` to the DIGITS-digit decimal counter at `digits`, in place. */
static void add(char *digits, unsigned amount) {
  int i = DIGITS - 1;
  unsigned carry = amount;
  while (carry > 0 && i >= 0) {
    unsigned d = (unsigned)(digits[i] - '0') + carry % 10;
    carry /= 10;
    if (d >= 10) {
      d -= 10;
      carry++;
    }
    digits[i--] = (char)('0' + d);
  }
}

static int write_all(const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("writer: write");
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: writer BYTES [STAMPFILE]\n");
    return 2;
  }
  int stamp_fd = -1;
  if (argc == 3) {
    stamp_fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (stamp_fd < 0) {
      perror("writer: stamp file");
      return 2;
    }
  }
  stamp(stamp_fd, "start");
  char *end = NULL;
  errno = 0;
  unsigned long long total = strtoull(argv[1], &end, 10);
  if (errno != 0 || end == argv[1] || *end != '\0') {
    fprintf(stderr, "writer: bad byte count %s\n", argv[1]);
    return 2;
  }

  static const char filler[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int i = 0; i < LINES_PER_BLOCK; i++) {
    char *line = block + i * LINE;
    snprintf(line, DIGITS + 1, "%0*d", DIGITS, i);
    line[DIGITS] = ' ';
    for (int j = DIGITS + 1; j < LINE - 1; j++) {
      line[j] = filler[(j - DIGITS - 1 + i) % (int)(sizeof filler - 1)];
    }
    line[LINE - 1] = '\n';
  }

  unsigned long long left = total;
  while (left > 0) {
    size_t len = left < BLOCK ? (size_t)left : BLOCK;
    if (write_all(block, len) != 0) return 1;
    left -= len;
    if (left > 0) {
      for (int i = 0; i < LINES_PER_BLOCK; i++) add(block + i * LINE, LINES_PER_BLOCK);
    }
  }
  stamp(stamp_fd, "end");
  return 0;
}
