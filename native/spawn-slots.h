/*
 * Low fd numbers reserved at load for the fds a child needs, so that a spawn copies a few
 * dozen fds instead of circusd's whole table (see spawn-slots.c).
 */
#ifndef CIRCUS_SPAWN_SLOTS_H
#define CIRCUS_SPAWN_SLOTS_H

/* Fds one spawn can lend through slots (stdout, stderr, error pipe, handed-over fds). */
#define SPAWN_SLOTS 24

/* Opens the slots (once); 0 when they cannot be had (the spawns then copy the whole table). */
int slots_init(void);
/* The first fd number above every slot: the child keeps [0, slots_end()). */
int slots_end(void);
/* Whether fd is a slot (a target there would clobber a lent fd). */
int slots_contain(int fd);
/*
 * Duplicates fds[0..n) into slots (CLOEXEC), rewriting fds[] with the slot numbers; 0 when
 * n is too many or a dup fails (nothing stays lent then).
 */
int slots_lend(int *fds, int n);
/* Puts the placeholders back in the slots lent: circusd's copies of the lent fds close. */
void slots_return(int n);

#endif
