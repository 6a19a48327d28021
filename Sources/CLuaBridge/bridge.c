/*
 * The C seam between Swift and Lua: allocator, count hook, message handler, trampoline and
 * read-only proxies. See include/bridge.h for the rule this file exists to keep.
 */
#include "bridge.h"

#include <lauxlib.h>
#include <lualib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


wl_context *wl_getcontext(lua_State *L) {
    return *(wl_context **)lua_getextraspace(L);
}

int64_t wl_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------- allocator */

static void *wl_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    wl_context *c = (wl_context *)ud;
    size_t old = ptr ? osize : 0; /* with ptr NULL, osize is a type tag, not a size */
    if (nsize == 0) {
        if (ptr) {
            c->bytes_live -= old;
            free(ptr);
        }
        return NULL;
    }
    /* Refuse growth only while Lua code runs: a refusal raises a memory error, and none may be
     * raised while a Swift frame is on the stack. Shrinking never fails (Lua relies on it). */
    if (c->enforce > 0 && c->bytes_limit != 0 && nsize > old &&
        c->bytes_live - old + nsize > c->bytes_limit) {
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    c->bytes_live = c->bytes_live - old + nsize;
    if (c->bytes_live > c->bytes_peak) c->bytes_peak = c->bytes_live;
    return p;
}

/* ---------------------------------------------------------------- count hook */

static const char *wl_trip_message(int trip) {
    switch (trip) {
    case WL_TRIP_CALL_INSTRUCTIONS: return "instruction limit per call exceeded";
    case WL_TRIP_RUN_INSTRUCTIONS: return "instruction limit per run exceeded";
    case WL_TRIP_DEADLINE: return "time limit exceeded";
    case WL_TRIP_INTERRUPT: return "interrupted";
    default: return "stopped by the host";
    }
}

static void wl_hook(lua_State *L, lua_Debug *ar) {
    wl_context *c = wl_getcontext(L);
    if (ar->event == LUA_HOOKLINE) {
        /* Line events come only while tracing; they count nothing and raise nothing. */
        if (c->trace_on && lua_getinfo(L, "S", ar) && strcmp(ar->source, c->trace_source) == 0) c->trace_last = ar->currentline;
        return;
    }
    c->instr_call += WL_HOOK_EVERY;
    c->instr_run += WL_HOOK_EVERY;
    if (c->progress_ref != 0) {
        /* The driver writes the index of the household being decided into progress[1]. */
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->progress_ref);
        if (lua_type(L, -1) == LUA_TTABLE) {
            lua_rawgeti(L, -1, 1);
            int64_t now = (int64_t)lua_tointeger(L, -1);
            lua_pop(L, 1);
            if (now != c->progress_last) {
                __atomic_store_n(&c->progress_last, now, __ATOMIC_RELAXED);
                c->instr_call = WL_HOOK_EVERY;
            }
        }
        lua_pop(L, 1);
    }
    if (c->tripped == WL_TRIP_NONE) {
        if (__atomic_load_n(&c->interrupt, __ATOMIC_RELAXED)) c->tripped = WL_TRIP_INTERRUPT;
        else if (c->instr_call_limit > 0 && c->instr_call > c->instr_call_limit)
            c->tripped = WL_TRIP_CALL_INSTRUCTIONS;
        else if (c->instr_run_limit > 0 && c->instr_run > c->instr_run_limit)
            c->tripped = WL_TRIP_RUN_INSTRUCTIONS;
        else if (c->deadline_ns > 0 && wl_monotonic_ns() > c->deadline_ns)
            c->tripped = WL_TRIP_DEADLINE;
    }
    /* Once tripped, the hook runs on every instruction and raises every time. Raising only every
     * 1000 instructions is not enough: `while true do pcall(function() while true do end end) end`
     * keeps the outer loop under 1000 instructions, so the hook would always fire inside the pcall
     * and the script would run for ever. Raising at the very next instruction means the first
     * instruction after a pcall returns raises again, outside it. wl_reset_run restores the count. */
    if (c->tripped != WL_TRIP_NONE) {
        if (lua_gethookcount(L) != 1 || lua_gethookmask(L) != LUA_MASKCOUNT) lua_sethook(L, wl_hook, LUA_MASKCOUNT, 1);
        luaL_where(L, 0); /* level 0 in a hook: the Lua function being run */
        lua_pushstring(L, wl_trip_message(c->tripped));
        lua_concat(L, 2);
        lua_error(L);
    }
}

/* ---------------------------------------------------------------- message handler */

/* Runs inside the failed call, under its limits. It never calls a metamethod: an error object
 * that is not a string or a number is described by its type only. */
static int wl_msgh(lua_State *L) {
    wl_context *c = wl_getcontext(L);
    const char *msg;
    int t = lua_type(L, 1);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        msg = lua_tostring(L, 1);
    } else {
        msg = lua_pushfstring(L, "(error object is a %s value)", lua_typename(L, t));
    }
    /* stack: err, [msg] — record the innermost frame of a script that has a line. The host's own
     * chunks (named "=warmth-..."; the sandbox's wrappers, the driver loop) are skipped: an error
     * raised in a wrapper such as setmetatable's belongs to the script line that called it. */
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar)) break;
        if (ar.source[0] == '@' && ar.source[1] == '=') continue;
        if (ar.source[0] == '@' && c->lib_prefix[0] && strncmp(ar.source + 1, c->lib_prefix, strlen(c->lib_prefix)) == 0) continue;
        if (ar.currentline > 0) {
            const char *src = ar.source[0] == '@' || ar.source[0] == '=' ? ar.source + 1 : ar.short_src;
            snprintf(c->err_source, sizeof c->err_source, "%s", src);
            c->err_line = ar.currentline;
            break;
        }
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int wl_panic(lua_State *L) {
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(no message)";
    fprintf(stderr, "warmth: unprotected Lua error (a bug in the host): %s\n", msg);
    abort();
    return 0;
}

/* ---------------------------------------------------------------- state */

lua_State *wl_newstate(wl_context *ctx) {
    lua_State *L = lua_newstate(wl_alloc, ctx);
    if (L == NULL) return NULL;
    *(wl_context **)lua_getextraspace(L) = ctx;
    lua_atpanic(L, wl_panic);
    lua_sethook(L, wl_hook, LUA_MASKCOUNT, WL_HOOK_EVERY);
    lua_pushcfunction(L, wl_msgh); /* stack: msgh — the base of the stack (wl_pcall pushes its own) */
    return L;
}

void wl_close(lua_State *L) {
    lua_close(L);
}

int wl_load(lua_State *L, const char *buf, size_t len, const char *chunkname) {
    wl_context *c = wl_getcontext(L);
    c->enforce++;
    int st = luaL_loadbufferx(L, buf, len, chunkname, "t");
    c->enforce--;
    return st;
}

int wl_pcall(lua_State *L, int nargs, int nresults) {
    wl_context *c = wl_getcontext(L);
    int base = lua_gettop(L) - nargs - 1; /* below the function */
    if (c->depth == 0) {
        /* A call from Swift at the top, not one a Swift function makes while Lua called it:
         * only then does a new call's budget start. */
        c->instr_call = 0;
        c->err_line = 0;
        c->err_source[0] = '\0';
    }
    if (c->tripped != WL_TRIP_NONE) {
        lua_settop(L, base);
        lua_pushstring(L, wl_trip_message(c->tripped));
        return WL_STATUS_TRIPPED;
    }
    /* The message handler goes just below the function, at an absolute index that is right
     * both at the top and inside a Swift function called from Lua (whose frame starts at 1). */
    lua_checkstack(L, 2);
    lua_pushcfunction(L, wl_msgh);
    lua_insert(L, base + 1);           /* stack: ..., msgh, f, args */
    c->enforce++;
    c->depth++;
    int st = lua_pcall(L, nargs, nresults, base + 1);
    c->depth--;
    c->enforce--;
    lua_remove(L, base + 1);           /* stack: ..., results or message */
    if (c->tripped != WL_TRIP_NONE) {
        if (st == LUA_OK) {
            /* The script swallowed the limit error with pcall: the call still failed. */
            lua_settop(L, base);
            luaL_traceback(L, L, wl_trip_message(c->tripped), 0);
        }
        return WL_STATUS_TRIPPED;
    }
    return st;
}

/* ---------------------------------------------------------------- Swift functions */

static int wl_trampoline(lua_State *L) {
    wl_context *c = wl_getcontext(L);
    int64_t id = lua_tointeger(L, lua_upvalueindex(1));
    int saved = c->enforce;
    c->enforce = 0; /* no memory error may be raised while Swift pushes results */
    int n = c->dispatch(L, c->host, id);
    c->enforce = saved;
    if (n >= 0) return n;
    /* Swift failed and left a message on top. Every Swift frame has returned: raise here,
     * prefixed with the position of the nearest script line (the caller may be pcall itself). */
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
            lua_insert(L, -2);
            lua_concat(L, 2);
            break;
        }
    }
    return lua_error(L);
}

void wl_pushswift(lua_State *L, int64_t id) {
    lua_pushinteger(L, id);
    lua_pushcclosure(L, wl_trampoline, 1);
}

/* ---------------------------------------------------------------- read-only proxies */

/* stack: proxy, key, value */
static int wl_ro_newindex(lua_State *L) {
    const char *kind = "object";
    if (lua_getmetatable(L, 1)) {
        lua_pushliteral(L, "__metatable");
        if (lua_rawget(L, -2) == LUA_TSTRING) kind = lua_tostring(L, -1);
    }
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "attempt to write field '%s' of a read-only %s", lua_tostring(L, 2), kind);
    if (lua_type(L, 2) == LUA_TNUMBER)
        return luaL_error(L, "attempt to write index %s of a read-only %s", lua_tostring(L, 2), kind);
    return luaL_error(L, "attempt to write a %s key of a read-only %s", luaL_typename(L, 2), kind);
}

/* Push the table a proxy at `idx` reads from, or nil. */
static int wl_ro_data(lua_State *L, int idx) {
    if (!lua_getmetatable(L, idx)) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    lua_pushliteral(L, "__index");
    int t = lua_rawget(L, -2);
    lua_remove(L, -2);
    return t;
}

/* stack: proxy, key — the iterator never hands the data table itself to the script */
static int wl_ro_next(lua_State *L) {
    lua_settop(L, 2);
    if (wl_ro_data(L, 1) != LUA_TTABLE) return 0;
    lua_insert(L, 2); /* stack: proxy, data, key */
    if (lua_next(L, 2)) return 2;
    lua_pushnil(L);
    return 1;
}

static int wl_ro_pairs(lua_State *L) {
    lua_pushcfunction(L, wl_ro_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int wl_ro_len(lua_State *L) {
    if (wl_ro_data(L, 1) != LUA_TTABLE) return luaL_error(L, "broken read-only object");
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

void wl_readonly(lua_State *L, const char *kind) {
    /* stack: data. Four metatable fields fit the smallest hash part (a record such as a
     * household pays for this once per household); __len only when there is an array part. */
    int has_array = lua_rawlen(L, -1) > 0;
    lua_createtable(L, 0, 0);           /* data, proxy */
    lua_createtable(L, 0, has_array ? 5 : 4); /* data, proxy, mt */
    lua_pushliteral(L, "__index");
    lua_pushvalue(L, -4);
    lua_rawset(L, -3);
    lua_pushliteral(L, "__newindex");
    lua_pushcfunction(L, wl_ro_newindex);
    lua_rawset(L, -3);
    lua_pushliteral(L, "__pairs");
    lua_pushcfunction(L, wl_ro_pairs);
    lua_rawset(L, -3);
    if (has_array) {
        lua_pushliteral(L, "__len");
        lua_pushcfunction(L, wl_ro_len);
        lua_rawset(L, -3);
    }
    lua_pushliteral(L, "__metatable"); /* getmetatable(proxy) gives the kind, setmetatable fails */
    lua_pushstring(L, kind);
    lua_rawset(L, -3);
    lua_setmetatable(L, -2);            /* data, proxy */
    lua_remove(L, -2);                  /* proxy */
}

/* ---------------------------------------------------------------- params that record reads */

/* upvalues: data, bits; stack: proxy, key */
static int wl_tp_index(lua_State *L) {
    wl_context *c = wl_getcontext(L);
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) == LUA_TNUMBER) c->read_mask |= (uint64_t)1 << (lua_tointeger(L, -1) & 63);
    lua_pop(L, 1);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* upvalue: data; stack: proxy, key */
static int wl_tp_next(lua_State *L) {
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1)) == 0) return 0;
    return 2;
}

static int wl_tp_pairs(lua_State *L) {
    wl_getcontext(L)->read_mask = ~(uint64_t)0;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, wl_tp_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int wl_tp_len(lua_State *L) {
    wl_getcontext(L)->read_mask = ~(uint64_t)0;
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

void wl_tracking_params(lua_State *L) {
    /* stack: data, bits */
    int bits = lua_absindex(L, -1), data = bits - 1;
    lua_createtable(L, 0, 0);           /* proxy */
    lua_createtable(L, 0, 5);           /* proxy, mt */
    lua_pushvalue(L, data);
    lua_pushvalue(L, bits);
    lua_pushcclosure(L, wl_tp_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, wl_ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, data);
    lua_pushcclosure(L, wl_tp_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushvalue(L, data);
    lua_pushcclosure(L, wl_tp_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushliteral(L, "params");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);            /* data, bits, proxy */
    lua_replace(L, data);
    lua_settop(L, data);
}

/* stack: i — store the mask of the decision just made for household i, and clear it */
static int wl_commit_mask(lua_State *L) {
    wl_context *c = wl_getcontext(L);
    lua_Integer i = lua_tointeger(L, 1);
    if (c->masks && i >= 1 && i <= c->masks_count) c->masks[i - 1] = c->read_mask;
    c->read_mask = 0;
    return 0;
}

void wl_record_masks(wl_context *ctx, uint64_t *masks, int64_t n) {
    ctx->masks = masks;
    ctx->masks_count = masks ? n : 0;
    ctx->read_mask = 0;
}

/* ---------------------------------------------------------------- libraries */

static const struct {
    int bit;
    const char *name;
    lua_CFunction open;
} wl_libs[] = {
    {WL_LIB_BASE, LUA_GNAME, luaopen_base},
    {WL_LIB_STRING, LUA_STRLIBNAME, luaopen_string},
    {WL_LIB_TABLE, LUA_TABLIBNAME, luaopen_table},
    {WL_LIB_MATH, LUA_MATHLIBNAME, luaopen_math},
    {WL_LIB_UTF8, LUA_UTF8LIBNAME, luaopen_utf8},
    {WL_LIB_COROUTINE, LUA_COLIBNAME, luaopen_coroutine},
    {WL_LIB_OS, LUA_OSLIBNAME, luaopen_os},
    {WL_LIB_IO, LUA_IOLIBNAME, luaopen_io},
    {WL_LIB_PACKAGE, LUA_LOADLIBNAME, luaopen_package},
    {WL_LIB_DEBUG, LUA_DBLIBNAME, luaopen_debug},
};

/* stack: mask */
static int wl_openlibs_protected(lua_State *L) {
    int mask = (int)lua_tointeger(L, 1);
    for (size_t i = 0; i < sizeof wl_libs / sizeof wl_libs[0]; i++) {
        if (!(mask & wl_libs[i].bit)) continue;
        luaL_requiref(L, wl_libs[i].name, wl_libs[i].open, 1);
        lua_pop(L, 1);
    }
    return 0;
}

int wl_openlibs(lua_State *L, int mask) {
    lua_pushcfunction(L, wl_openlibs_protected);
    lua_pushinteger(L, mask);
    return wl_pcall(L, 1, 0);
}

/* ---------------------------------------------------------------- helpers for the stdlib */

int wl_caller_line(lua_State *L) {
    lua_Integer level = luaL_optinteger(L, 1, 1);
    lua_Debug ar;
    if (level < 1 || level > 100) level = 1;
    /* Frame `level` is the function that called caller_line (1), or one above it. When it was
     * tail-called (`return w.pay(...)`), the frame that called it is gone and the line above
     * would be someone else's: report no line rather than a wrong one. */
    if (lua_getstack(L, (int)level, &ar) && lua_getinfo(L, "t", &ar) && ar.istailcall) {
        lua_pushinteger(L, 0);
        return 1;
    }
    if (!lua_getstack(L, (int)level + 1, &ar) || !lua_getinfo(L, "l", &ar)) {
        lua_pushinteger(L, 0);
    } else {
        lua_pushinteger(L, ar.currentline > 0 ? ar.currentline : 0);
    }
    return 1;
}

/* caller_where(level): "chunk:line:" of the Lua function `level` levels above the caller. */
static int wl_caller_where(lua_State *L) {
    lua_Integer level = luaL_optinteger(L, 1, 1);
    if (level < 0 || level > 100) level = 1;
    luaL_where(L, (int)level + 1);
    return 1;
}

static const char wl_lines_key = 0;

/* Push the registry's weak-keyed table of recorded lines, making it the first time. */
static void wl_lines_table(lua_State *L) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &wl_lines_key) == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &wl_lines_key);
}

int64_t wl_recorded_line(lua_State *L, int index) {
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE || !lua_checkstack(L, 3)) return -1;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &wl_lines_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return -1;
    }
    lua_pushvalue(L, index);
    lua_rawget(L, -2);
    lua_Integer line = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
    lua_pop(L, 2);
    return line;
}

/* with_line(f) returns a C function that calls f(line, ...), where line is the current line of
 * its caller. Being C, it keeps its caller's frame even when called as `return g(...)` (a tail
 * call of a C function does not remove the calling frame), so the line is always known. */
static int wl_with_line_call(lua_State *L) {
    int n = lua_gettop(L);
    lua_Debug ar;
    lua_Integer line = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar) && ar.currentline > 0) line = ar.currentline;
    luaL_checkstack(L, 2, NULL);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);                 /* stack: f, args... */
    lua_pushinteger(L, line);
    lua_insert(L, 2);                 /* stack: f, line, args... */
    lua_call(L, n + 1, LUA_MULTRET);
    int results = lua_gettop(L);
    /* A table the wrapped function returns is recorded with its line, where no script can reach
     * (a weak-keyed table in the registry): the host takes a payout's rule line from here, never
     * from a field a script could write into a table of its own. */
    if (results >= 1 && lua_type(L, 1) == LUA_TTABLE) {
        luaL_checkstack(L, 3, NULL);
        wl_lines_table(L);
        lua_pushvalue(L, 1);
        lua_pushinteger(L, line);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    return results;
}

static int wl_with_line(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_pushcclosure(L, wl_with_line_call, 1);
    return 1;
}

static int wl_last_line(lua_State *L);

void wl_pushhelper(lua_State *L, const char *name) {
    if (strcmp(name, "with_line") == 0) { lua_pushcfunction(L, wl_with_line); return; }
    if (strcmp(name, "caller_where") == 0) lua_pushcfunction(L, wl_caller_where);
    else if (strcmp(name, "caller_line") == 0) lua_pushcfunction(L, wl_caller_line);
    else if (strcmp(name, "last_line") == 0) lua_pushcfunction(L, wl_last_line);
    else if (strcmp(name, "commit_mask") == 0) lua_pushcfunction(L, wl_commit_mask);
    else lua_pushnil(L);
}

/* ---------------------------------------------------------------- limits */

void wl_set_memory_limit(lua_State *L, size_t bytes) { wl_getcontext(L)->bytes_limit = bytes; }

void wl_set_instruction_limits(lua_State *L, int64_t per_call, int64_t per_run) {
    wl_context *c = wl_getcontext(L);
    c->instr_call_limit = per_call;
    c->instr_run_limit = per_run;
}

void wl_trace_lines(lua_State *L, const char *source) {
    wl_context *c = wl_getcontext(L);
    c->trace_on = source != NULL;
    c->trace_last = 0;
    if (source) snprintf(c->trace_source, sizeof c->trace_source, "%s", source);
    lua_sethook(L, wl_hook, LUA_MASKCOUNT | (source ? LUA_MASKLINE : 0), WL_HOOK_EVERY);
}

/* last_line(): the last traced line, and start again (for the driver, between decisions). */
static int wl_last_line(lua_State *L) {
    wl_context *c = wl_getcontext(L);
    lua_pushinteger(L, c->trace_last);
    c->trace_last = 0;
    return 1;
}

void wl_set_deadline_after(lua_State *L, int64_t nanoseconds) {
    wl_getcontext(L)->deadline_ns = nanoseconds > 0 ? wl_monotonic_ns() + nanoseconds : 0;
}

void wl_reset_run(lua_State *L) {
    wl_context *c = wl_getcontext(L);
    int mask = LUA_MASKCOUNT | (c->trace_on ? LUA_MASKLINE : 0);
    if (lua_gethookcount(L) != WL_HOOK_EVERY || lua_gethookmask(L) != mask) lua_sethook(L, wl_hook, mask, WL_HOOK_EVERY);
    c->instr_run = 0;
    c->instr_call = 0;
    c->tripped = WL_TRIP_NONE;
    __atomic_store_n(&c->progress_last, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&c->interrupt, 0, __ATOMIC_RELAXED);
}

void wl_interrupt(wl_context *ctx) { __atomic_store_n(&ctx->interrupt, 1, __ATOMIC_RELAXED); }

int64_t wl_progress(wl_context *ctx) { return __atomic_load_n(&ctx->progress_last, __ATOMIC_RELAXED); }

void wl_reset_progress(wl_context *ctx) { __atomic_store_n(&ctx->progress_last, 0, __ATOMIC_RELAXED); }
