/*
 * The REPL's terminal: line editing, history and completion through libedit, and Ctrl-C.
 *
 * libedit needs a UTF-8 locale before it starts, or Chinese input is silently dropped and a
 * Chinese prompt crashes it: wle_begin sets LC_CTYPE from the environment and falls back to
 * C.UTF-8 when that is not UTF-8.
 *
 * Ctrl-C: the handler only sets a flag (async-signal safe) and is installed without SA_RESTART,
 * so that readline returns at once. At the prompt that clears the line; while an evaluation runs,
 * the host polls wle_take_interrupt and interrupts the Lua states itself.
 */
#ifndef WARMTH_LINEEDIT_H
#define WARMTH_LINEEDIT_H

/* Set the locale, load the history file (may be NULL), install the Ctrl-C handler. Returns 1 when
 * the locale is UTF-8. */
int wle_begin(const char *history_path, int history_max);

/* Read a line with `prompt`. Returns a malloc'd line (free it with wle_free), or NULL at the end of
 * input (Ctrl-D) or when Ctrl-C was pressed (then *interrupted is 1). */
char *wle_read(const char *prompt, int *interrupted);
void wle_free(char *line);

/* Add a line (a whole multi-line chunk is one entry) to the history. */
void wle_add_history(const char *line);

/* Save the history (at most history_max entries). */
void wle_end(const char *history_path);

/* The words Tab completes (commands, params, categories); copied. */
void wle_set_words(const char *const *words, int n);

/* Whether Ctrl-C was pressed since the last call; clears the flag. */
int wle_take_interrupt(void);

/* Install the Ctrl-C flag handler without a terminal (non-interactive runs). */
void wle_catch_interrupts(void);

#endif
