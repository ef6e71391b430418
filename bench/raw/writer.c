/*
 * Output writer for the stdout throughput scenario: writes exactly BYTES bytes
 * of numbered lines to stdout with write(2) of 64 KiB blocks, then exits 0.
 *
 * Usage: writer [-l LINE] BYTES [STAMPFILE]
 *
 * Every line is LINE bytes (default 128, at least 18): a 16-digit zero-padded
 * counter (0, 1, 2, ...), a space, LINE - 18 filler characters and "\n".
 *
 * When LINE divides 64 KiB (128: 512 lines a block), the block is built once
 * and, after each write, only the counters are advanced in place (a decimal
 * add of the lines per block): generating the data costs next to nothing.
 * Otherwise (e.g. 100) a block no longer holds whole lines: the output is one
 * continuous sequence of lines, built one after the other into a buffer and
 * cut into 65536-byte writes, so a line may straddle two writes (as the
 * output of a program that buffers its stdout in 64 KiB). Either way the last
 * write is cut at BYTES (a last partial line if BYTES is not a multiple of
 * LINE).
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

#define DEFAULT_LINE 128
#define DIGITS 16
/* Counter, space and newline: a line with no filler. */
#define MIN_LINE (DIGITS + 2)
#define MAX_LINE 65536
#define BLOCK 65536

/* A block, plus room for the line that overflows it (continuous mode). */
static char block[BLOCK + MAX_LINE];
static const char filler[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
#define FILLER_LEN ((int)(sizeof filler - 1))

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

/* Whole lines per block, counters advanced in place: LINE divides BLOCK. */
static int write_blocks(unsigned long long total, int line_len) {
  int lines_per_block = BLOCK / line_len;
  for (int i = 0; i < lines_per_block; i++) {
    char *line = block + i * line_len;
    snprintf(line, DIGITS + 1, "%0*d", DIGITS, i);
    line[DIGITS] = ' ';
    for (int j = DIGITS + 1; j < line_len - 1; j++) {
      line[j] = filler[(j - DIGITS - 1 + i) % FILLER_LEN];
    }
    line[line_len - 1] = '\n';
  }
  unsigned long long left = total;
  while (left > 0) {
    size_t len = left < BLOCK ? (size_t)left : BLOCK;
    if (write_all(block, len) != 0) return 1;
    left -= len;
    if (left > 0) {
      for (int i = 0; i < lines_per_block; i++) {
        add(block + i * line_len, (unsigned)lines_per_block);
      }
    }
  }
  return 0;
}

/*
 * One continuous sequence of lines cut into BLOCK-byte writes: lines are
 * appended until the buffer holds a block, the block is written and the
 * overflow (part of one line) moved to the front.
 */
static int write_stream(unsigned long long total, int line_len) {
  int fill_len = line_len - MIN_LINE;
  /* The filler repeated, so that any rotation of it is one memcpy. */
  char *rotations = malloc((size_t)(FILLER_LEN + fill_len + 1));
  if (rotations == NULL) {
    perror("writer: malloc");
    return 1;
  }
  for (int j = 0; j < FILLER_LEN + fill_len; j++) rotations[j] = filler[j % FILLER_LEN];
  char counter[DIGITS];
  memset(counter, '0', DIGITS);
  unsigned long long number = 0;
  size_t held = 0;
  unsigned long long left = total;
  while (left > 0) {
    while (held < BLOCK) {
      char *line = block + held;
      memcpy(line, counter, DIGITS);
      line[DIGITS] = ' ';
      memcpy(line + DIGITS + 1, rotations + number % FILLER_LEN, (size_t)fill_len);
      line[line_len - 1] = '\n';
      held += (size_t)line_len;
      add(counter, 1);
      number++;
    }
    size_t len = left < BLOCK ? (size_t)left : BLOCK;
    if (write_all(block, len) != 0) {
      free(rotations);
      return 1;
    }
    left -= len;
    memmove(block, block + BLOCK, held - BLOCK);
    held -= BLOCK;
  }
  free(rotations);
  return 0;
}

static void usage(void) { fprintf(stderr, "usage: writer [-l LINE] BYTES [STAMPFILE]\n"); }

int main(int argc, char **argv) {
  int line_len = DEFAULT_LINE;
  int arg = 1;
  if (arg + 1 < argc && strcmp(argv[arg], "-l") == 0) {
    char *end = NULL;
    long value = strtol(argv[arg + 1], &end, 10);
    if (end == argv[arg + 1] || *end != '\0' || value < MIN_LINE || value > MAX_LINE) {
      fprintf(stderr, "writer: bad line length %s (%d..%d)\n", argv[arg + 1], MIN_LINE, MAX_LINE);
      return 2;
    }
    line_len = (int)value;
    arg += 2;
  }
  if (argc - arg < 1 || argc - arg > 2) {
    usage();
    return 2;
  }
  int stamp_fd = -1;
  if (argc - arg == 2) {
    stamp_fd = open(argv[arg + 1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (stamp_fd < 0) {
      perror("writer: stamp file");
      return 2;
    }
  }
  stamp(stamp_fd, "start");
  char *end = NULL;
  errno = 0;
  unsigned long long total = strtoull(argv[arg], &end, 10);
  if (errno != 0 || end == argv[arg] || *end != '\0') {
    fprintf(stderr, "writer: bad byte count %s\n", argv[arg]);
    return 2;
  }
  int failed = BLOCK % line_len == 0 ? write_blocks(total, line_len) : write_stream(total, line_len);
  if (failed) return 1;
  stamp(stamp_fd, "end");
  return 0;
}
