#include "lineedit.h"

#include <editline/readline.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t wle_interrupted = 0;
static char **wle_words = NULL;
static int wle_word_count = 0;

static void wle_on_sigint(int sig) {
    (void)sig;
    wle_interrupted = 1;
}

void wle_catch_interrupts(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wle_on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: readline returns when Ctrl-C is pressed */
    sigaction(SIGINT, &sa, NULL);
    /* A parent may have started us with SIGINT blocked (the mask is inherited): unblock it, or
     * Ctrl-C would never reach the flag. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int wle_take_interrupt(void) {
    int was = wle_interrupted;
    wle_interrupted = 0;
    return was;
}

static char *wle_generate(const char *text, int state) {
    static int next;
    static size_t len;
    if (state == 0) {
        next = 0;
        len = strlen(text);
    }
    while (next < wle_word_count) {
        const char *w = wle_words[next++];
        if (strncmp(w, text, len) == 0) return strdup(w);
    }
    return NULL;
}

static char **wle_complete(const char *text, int start, int end) {
    (void)start;
    (void)end;
    return rl_completion_matches(text, wle_generate);
}

void wle_set_words(const char *const *words, int n) {
    for (int i = 0; i < wle_word_count; i++) free(wle_words[i]);
    free(wle_words);
    wle_words = n > 0 ? calloc((size_t)n, sizeof *wle_words) : NULL;
    wle_word_count = 0;
    for (int i = 0; i < n && wle_words; i++) wle_words[wle_word_count++] = strdup(words[i]);
}

static int wle_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

int wle_begin(const char *history_path, int history_max) {
    setlocale(LC_CTYPE, "");
    if (!wle_utf8()) setlocale(LC_CTYPE, "C.UTF-8");
    rl_readline_name = "warmth";
    rl_attempted_completion_function = wle_complete;
    rl_basic_word_break_characters = " \t\n=(\",";
    using_history();
    stifle_history(history_max > 0 ? history_max : 1000);
    if (history_path) read_history(history_path);
    wle_catch_interrupts();
    return wle_utf8();
}

char *wle_read(const char *prompt, int *interrupted) {
    *interrupted = 0;
    wle_interrupted = 0;
    errno = 0;
    char *line = readline(prompt);
    if (wle_interrupted || (!line && errno == EINTR)) {
        wle_interrupted = 0;
        *interrupted = 1;
        free(line);
        return NULL;
    }
    return line;
}

void wle_free(char *line) { free(line); }

void wle_add_history(const char *line) {
    if (line && *line) add_history(line);
}

void wle_end(const char *history_path) {
    if (history_path) write_history(history_path);
}
