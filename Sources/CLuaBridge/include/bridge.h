/*
 * The C seam between Swift and Lua.
 *
 * Lua reports errors with longjmp. A longjmp that crosses Swift frames skips their cleanup (ARC
 * releases, defer blocks) and corrupts the program, so Warmth keeps one rule everywhere:
 *
 *   No Lua error may unwind through a Swift frame.
 *
 * It holds because:
 *   1. Swift calls into Lua only through wl_pcall and wl_load below, which are protected.
 *   2. A Swift function registered with Lua is reached through a C trampoline. The Swift code
 *      never raises: it reports failure by returning -1 with a message on the stack, and the
 *      trampoline raises the Lua error after every Swift frame has returned.
 *   3. Outside those, Swift calls only API functions that cannot raise any error but a memory
 *      error (push*, raw get/set with string or integer keys, createtable, to*, type, next on a
 *      table it walks itself), and the host's allocator never refuses memory while Swift code is
 *      on the stack: the memory limit is enforced only while Lua code runs (`enforce` > 0), and
 *      the trampoline lifts it while Swift runs.
 *   4. Anything that may run a metamethod (gettable, settable, tostring of a value with
 *      __tostring, comparisons) is not called from Swift.
 *
 * The count hook, the memory limit, the deadline, the interrupt flag and the message handler all
 * live here, in C, for the same reason.
 */
#ifndef WARMTH_BRIDGE_H
#define WARMTH_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct lua_State lua_State;

/* Why the host stopped a script (wl_context.tripped). */
enum {
    WL_TRIP_NONE = 0,
    WL_TRIP_CALL_INSTRUCTIONS = 1, /* per-call instruction budget */
    WL_TRIP_RUN_INSTRUCTIONS = 2,  /* per-run instruction budget */
    WL_TRIP_DEADLINE = 3,          /* wall-clock deadline */
    WL_TRIP_INTERRUPT = 4          /* wl_interrupt, e.g. Ctrl-C in the REPL */
};

/* Status returned by wl_pcall when a limit tripped, even if the script caught the error. */
#define WL_STATUS_TRIPPED 100

/* How many VM instructions pass between two calls of the count hook. */
#define WL_HOOK_EVERY 1000

typedef int (*wl_dispatch_fn)(lua_State *L, void *host, int64_t id);

/* Per-state host record. Swift allocates it, it outlives the lua_State, Swift frees it. */
typedef struct wl_context {
    /* allocator */
    size_t bytes_live;
    size_t bytes_peak;
    size_t bytes_limit; /* 0: no limit */
    int enforce;        /* > 0 while Lua code runs under the host's limits */
    int depth;          /* protected calls under way (wl_pcall inside a Swift function nests) */

    /* count hook and clocks */
    int64_t instr_call;       /* instructions counted in the current top-level call */
    int64_t instr_run;        /* instructions counted since wl_reset_run */
    int64_t instr_call_limit; /* 0: no limit */
    int64_t instr_run_limit;  /* 0: no limit */
    int64_t deadline_ns;      /* CLOCK_MONOTONIC; 0: none */
    int interrupt;            /* set from any thread by wl_interrupt */
    int tripped;              /* WL_TRIP_*, sticky until wl_reset_trip */

    /* per-decision counting: when progress_ref is set, the hook reads integer [1] of that
     * registry table and restarts instr_call whenever it changes (the driver loop writes the
     * index of the household it is deciding there) */
    int progress_ref;
    int64_t progress_last;

    /* where the last error was raised, recorded by the message handler: the innermost frame of a
     * script, skipping the host's chunks ("=...") and chunks whose name starts with lib_prefix
     * (the stdlib, whose helpers raise errors on behalf of the script that called them) */
    int err_line;
    char err_source[256];
    char lib_prefix[256];

    /* line tracing (the 不漏 check): while trace_on, the hook also sees line events and records
     * in trace_last the last line run in the chunk named trace_source ("@path") */
    int trace_on;
    int trace_last;
    char trace_source[256];

    /* which params each decision read (the REPL's incremental re-run): the tracking params
     * proxy ORs the bit of each param it is asked for into read_mask (every bit for pairs or #),
     * and the driver's commit_mask(i) stores the mask at masks[i - 1] and clears it */
    uint64_t read_mask;
    uint64_t *masks;    /* NULL: not recording */
    int64_t masks_count;

    /* the Swift side */
    void *host;
    wl_dispatch_fn dispatch;
} wl_context;

/* Create a state whose allocator counts into `ctx` and whose count hook is installed before any
 * chunk loads. The state starts with one value on its stack (the message handler, kept as the
 * base of the stack; wl_pcall pushes its own below each function). Returns NULL on failure. */
lua_State *wl_newstate(wl_context *ctx);

/* Close the state. `ctx` stays valid (its bytes_live reads 0 afterwards). */
void wl_close(lua_State *L);

wl_context *wl_getcontext(lua_State *L);

/* Load a text chunk (never binary) under the limits. `chunkname` is "@path" for files.
 * On success the function is on top; otherwise the message is. Returns a Lua status. */
int wl_load(lua_State *L, const char *buf, size_t len, const char *chunkname);

/* Call the function below `nargs` arguments, protected and under the limits. On error the
 * traceback string is on top and the context records where it was raised. Returns a Lua status,
 * or WL_STATUS_TRIPPED when a limit tripped (even if the script caught the error itself). */
int wl_pcall(lua_State *L, int nargs, int nresults);

/* Push a C closure that calls ctx->dispatch(L, ctx->host, id). */
void wl_pushswift(lua_State *L, int64_t id);

/* Replace the table on top with a read-only proxy of it: reads fall through to the table,
 * writes raise "attempt to write field 'k' of a read-only <kind>", pairs() and # see the
 * table's contents, getmetatable gives `kind`. */
void wl_readonly(lua_State *L, const char *kind);

/* Replace `data` and `bits` on top (data below bits) with a read-only params proxy that records
 * reads: reading key k ORs bit bits[k] (0..63) into the context's read_mask; pairs() and #
 * set every bit. Writes raise as for wl_readonly; getmetatable gives "params". */
void wl_tracking_params(lua_State *L);

/* Record masks into `masks` (n of them; NULL stops) and clear the current read mask. */
void wl_record_masks(wl_context *ctx, uint64_t *masks, int64_t n);

/* Standard libraries a state may open (wl_openlibs). */
enum {
    WL_LIB_BASE = 1 << 0,
    WL_LIB_STRING = 1 << 1,
    WL_LIB_TABLE = 1 << 2,
    WL_LIB_MATH = 1 << 3,
    WL_LIB_UTF8 = 1 << 4,
    WL_LIB_COROUTINE = 1 << 5,
    WL_LIB_OS = 1 << 6,
    WL_LIB_IO = 1 << 7,
    WL_LIB_PACKAGE = 1 << 8,
    WL_LIB_DEBUG = 1 << 9
};

/* Open the chosen standard libraries, protected. Returns a Lua status (message on top if not
 * LUA_OK). Only the libraries in `mask` are opened: never luaL_openlibs. */
int wl_openlibs(lua_State *L, int mask);

/* C functions for the stdlib: caller_line(level) is the current line of the Lua function
 * `level` levels above the one calling it (1: its caller), or 0 when unknown (a tail call);
 * caller_where(level) is the same position as "chunk:line: ". */
int wl_caller_line(lua_State *L);

/* The line with_line recorded for the table at `index` when the wrapped function returned it
 * (w.pay's payouts), or -1 for a table it never returned (one a script built by hand). Never
 * raises an error. */
int64_t wl_recorded_line(lua_State *L, int index);

/* Push the C function `name` of the host's C helpers (caller_line), or nil. */
void wl_pushhelper(lua_State *L, const char *name);

/* Limits. */
void wl_set_memory_limit(lua_State *L, size_t bytes);
void wl_set_instruction_limits(lua_State *L, int64_t per_call, int64_t per_run);
/* Trace the lines run in the chunk `source` ("@path"), or stop tracing (NULL). */
void wl_trace_lines(lua_State *L, const char *source);
void wl_set_deadline_after(lua_State *L, int64_t nanoseconds); /* 0 clears it */
void wl_reset_run(lua_State *L);  /* zero the run counters and clear a trip */
void wl_interrupt(wl_context *ctx); /* async-signal and thread safe */
int64_t wl_progress(wl_context *ctx); /* progress_last, read from any thread */
void wl_reset_progress(wl_context *ctx);
int64_t wl_monotonic_ns(void);

#endif
