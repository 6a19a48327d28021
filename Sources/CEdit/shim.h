/* libedit (BSD licence; Debian: libedit-dev) through its readline-compatible API. GNU readline
 * is GPL and is not linked. */
#ifndef WARMTH_CEDIT_SHIM_H
#define WARMTH_CEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
