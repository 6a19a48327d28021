/*
 * The Lua 5.4 C API as Swift sees it.
 *
 * Lua's function-like macros (lua_pop, lua_pcall, lua_tostring, lua_newtable, ...) and
 * LUA_REGISTRYINDEX do not import into Swift, so they are re-stated here as static inline
 * functions with a `wl_` prefix. Nothing here raises on its own account: the rules for which
 * Lua API functions Swift may call directly are in Sources/CLuaBridge/include/bridge.h.
 */
#ifndef WARMTH_CLUA_SHIM_H
#define WARMTH_CLUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static inline int wl_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int wl_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void wl_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void wl_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *wl_tolstring(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline int wl_isinteger(lua_State *L, int i) { return lua_isinteger(L, i); }
static inline void wl_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void wl_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline void wl_replace(lua_State *L, int i) { lua_replace(L, i); }
static inline void *wl_getextraspace(lua_State *L) { return lua_getextraspace(L); }
static inline void wl_gccollect(lua_State *L) { (void)lua_gc(L, LUA_GCCOLLECT); }

#endif
