/*
 * Households as userdata over the host's columns. See include/households.h.
 *
 * Every function here is either called by Lua (as a metamethod or a method, so it may raise)
 * or by Swift outside any protected call with the memory limit lifted (wl_households_class,
 * wl_push_households), where nothing can raise.
 */
#include "households.h"

#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#define WL_HH_CLASS "warmth.household"

/* The class's metatable is also kept in the registry under this light key. */
static const char wl_hh_key = 0;

typedef struct {
    const wl_columns *cols;
    int64_t row;
} wl_hh;

enum {
    F_ID = 1, F_NAME, F_UNIT, F_MEMBERS, F_INCOME, F_LIVE, F_FILE_STATUS, F_DIFFICULTY,
    F_MAIN_CAUSE, F_IDENTITY, F_AGE, F_SEX, F_REGISTERED_ON, F_CATEGORIES, F_CAUSES,
    F_METHOD = 100
};

/* The fields a script sees, in the order pairs() gives them. */
static const char *const field_names[] = {
    NULL, "id", "name", "unit", "members", "income", "live", "file_status", "difficulty",
    "main_cause", "identity", "age", "sex", "registered_on", "_categories", "_causes",
};
#define FIELD_COUNT 15

/* Upvalues shared by the metamethods: 1 fields {name = code}, 2 strings, 3 methods. */

/* Push the i-th (1-based) string of strings[list], or nil for 0. */
static void push_listed(lua_State *L, const char *list, int i) {
    if (i <= 0) {
        lua_pushnil(L);
        return;
    }
    lua_getfield(L, lua_upvalueindex(2), list); /* a plain table: no metamethod */
    lua_rawgeti(L, -1, i);
    lua_remove(L, -2);
}

/* Push field `code` of household h. */
static void push_field(lua_State *L, const wl_hh *h, int code) {
    const wl_columns *c = h->cols;
    int64_t r = h->row;
    switch (code) {
    case F_ID: lua_pushinteger(L, c->ids[r]); break;
    case F_NAME:
        lua_pushlstring(L, (const char *)c->names + c->name_offsets[r], c->name_offsets[r + 1] - c->name_offsets[r]);
        break;
    case F_UNIT: {
        uint32_t u = c->units[r];
        lua_pushlstring(L, (const char *)c->unit_codes + c->unit_offsets[u], c->unit_offsets[u + 1] - c->unit_offsets[u]);
        break;
    }
    case F_MEMBERS: lua_pushinteger(L, c->members[r]); break;
    case F_INCOME: lua_pushinteger(L, c->income[r]); break;
    case F_LIVE: lua_pushboolean(L, c->file_status[r] < c->live_below); break;
    case F_FILE_STATUS: push_listed(L, "statuses", c->file_status[r] + 1); break;
    case F_DIFFICULTY: push_listed(L, "difficulty", c->difficulty[r]); break;
    case F_MAIN_CAUSE: push_listed(L, "main_cause", c->main_cause[r]); break;
    case F_IDENTITY: push_listed(L, "identity", c->identity[r]); break;
    case F_AGE: lua_pushinteger(L, c->age[r]); break;
    case F_SEX: push_listed(L, "sex", c->male[r] ? 2 : 1); break;
    case F_REGISTERED_ON: {
        int32_t d = c->registered_on[r];
        if (d == 0) lua_pushnil(L);
        else lua_pushfstring(L, "%d-%s%d-%s%d", (int)(d / 10000), (d / 100 % 100) < 10 ? "0" : "",
                             (int)(d / 100 % 100), (d % 100) < 10 ? "0" : "", (int)(d % 100));
        break;
    }
    case F_CATEGORIES: lua_pushinteger(L, c->categories[r]); break;
    case F_CAUSES: lua_pushinteger(L, c->causes[r]); break;
    default: lua_pushnil(L);
    }
}

/* __index(h, key) */
static int hh_index(lua_State *L) {
    const wl_hh *h = (const wl_hh *)lua_touserdata(L, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1)); /* code or nil */
    int code = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (code == 0) {
        lua_pushnil(L); /* an unknown field reads as nil, as on a table */
    } else if (code == F_METHOD) {
        lua_pushvalue(L, 2);
        lua_rawget(L, lua_upvalueindex(3));
    } else {
        push_field(L, h, code);
    }
    return 1;
}

/* __newindex(h, key, value) */
static int hh_newindex(lua_State *L) {
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "attempt to write field '%s' of a read-only household", lua_tostring(L, 2));
    if (lua_type(L, 2) == LUA_TNUMBER)
        return luaL_error(L, "attempt to write index %s of a read-only household", lua_tostring(L, 2));
    return luaL_error(L, "attempt to write a %s key of a read-only household", luaL_typename(L, 2));
}

/* The iterator pairs(h) returns: next field after `key`. */
static int hh_next(lua_State *L) {
    const wl_hh *h = (const wl_hh *)luaL_testudata(L, 1, WL_HH_CLASS);
    if (h == NULL) return luaL_error(L, "this iterator walks a household: use pairs(h)");
    int from = 0;
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *k = lua_tostring(L, 2);
        for (int i = 1; i <= FIELD_COUNT; i++)
            if (strcmp(k, field_names[i]) == 0) from = i;
    }
    for (int i = from + 1; i <= FIELD_COUNT; i++) {
        lua_pushstring(L, field_names[i]);
        push_field(L, h, i);
        if (!lua_isnil(L, -1)) return 2;
        lua_pop(L, 2);
    }
    lua_pushnil(L);
    return 1;
}

/* __pairs(h) */
static int hh_pairs(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(4)); /* hh_next, with the same upvalues */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* __tostring(h) */
static int hh_tostring(lua_State *L) {
    const wl_hh *h = (const wl_hh *)lua_touserdata(L, 1);
    lua_pushfstring(L, "household #%I", (lua_Integer)h->cols->ids[h->row]);
    return 1;
}

/* is(h, name) / has(h, name): upvalues 1 metatable, 2 {name = bit}, 3 known list, 4 word,
 * 5 which column (0 categories, 1 causes). */
static int hh_test(lua_State *L) {
    if (!lua_getmetatable(L, 1) || !lua_rawequal(L, -1, lua_upvalueindex(1))) {
        return luaL_error(L, "call it as a method of a household: h:%s(\"…\")",
                          lua_tointeger(L, lua_upvalueindex(5)) ? "has" : "is");
    }
    lua_pop(L, 1);
    const wl_hh *h = (const wl_hh *)lua_touserdata(L, 1);
    lua_pushvalue(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING || lua_rawget(L, lua_upvalueindex(2)) != LUA_TNUMBER) {
        const char *word = lua_tostring(L, lua_upvalueindex(4));
        const char *known = lua_tostring(L, lua_upvalueindex(3));
        if (lua_type(L, 2) == LUA_TSTRING)
            return luaL_error(L, "unknown %s \"%s\"; known: %s", word, lua_tostring(L, 2), known);
        return luaL_error(L, "unknown %s (a %s, not a name); known: %s", word, luaL_typename(L, 2), known);
    }
    lua_Integer bit = lua_tointeger(L, -1);
    int64_t bits = lua_tointeger(L, lua_upvalueindex(5)) ? h->cols->causes[h->row] : h->cols->categories[h->row];
    lua_pushboolean(L, (bits & bit) != 0);
    return 1;
}

void wl_households_class(lua_State *L) {
    /* stack: strings, category_bit, cause_bit, methods */
    int strings = lua_absindex(L, -4), cat_bit = strings + 1, cause_bit = strings + 2, given = strings + 3;

    /* The class's own methods: a copy of the given ones (which table-built households, such as
     * those of warmth.test, keep using), with is and has in C. */
    lua_createtable(L, 0, 8);
    int methods = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, given)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, methods);
    }

    lua_createtable(L, 0, FIELD_COUNT + 6); /* fields */
    int fields = lua_gettop(L);
    for (int i = 1; i <= FIELD_COUNT; i++) {
        lua_pushinteger(L, i);
        lua_setfield(L, fields, field_names[i]);
    }
    const char *method_names[] = {"is", "has", "categories", "causes", "cause_count"};
    for (int i = 0; i < 5; i++) {
        lua_pushinteger(L, F_METHOD);
        lua_setfield(L, fields, method_names[i]);
    }

    luaL_newmetatable(L, WL_HH_CLASS); /* the metatable, also kept in the registry */
    int mt = lua_gettop(L);
    lua_pushvalue(L, mt); /* and under a light key, to be found without making a string */
    lua_rawsetp(L, LUA_REGISTRYINDEX, &wl_hh_key);

    /* is and has, in C, added to the methods table */
    for (int which = 0; which < 2; which++) {
        lua_pushvalue(L, mt);
        lua_pushvalue(L, which ? cause_bit : cat_bit);
        lua_getfield(L, strings, which ? "causes" : "categories");
        lua_pushstring(L, which ? "hardship cause" : "category");
        lua_pushinteger(L, which);
        lua_pushcclosure(L, hh_test, 5);
        lua_setfield(L, methods, which ? "has" : "is");
    }

    /* the next function for pairs, then the metamethods, all sharing the upvalues */
#define PUSH_UPVALUES() do { lua_pushvalue(L, fields); lua_pushvalue(L, strings); lua_pushvalue(L, methods); } while (0)
    PUSH_UPVALUES();
    lua_pushcclosure(L, hh_next, 3);
    int next = lua_gettop(L);

    PUSH_UPVALUES();
    lua_pushcclosure(L, hh_index, 3);
    lua_setfield(L, mt, "__index");
    lua_pushcfunction(L, hh_newindex);
    lua_setfield(L, mt, "__newindex");
    PUSH_UPVALUES();
    lua_pushvalue(L, next);
    lua_pushcclosure(L, hh_pairs, 4);
    lua_setfield(L, mt, "__pairs");
    lua_pushcfunction(L, hh_tostring);
    lua_setfield(L, mt, "__tostring");
    lua_pushliteral(L, "household");
    lua_setfield(L, mt, "__metatable");
    lua_pushliteral(L, "household"); /* what type errors call it ("table expected, got household") */
    lua_setfield(L, mt, "__name");
#undef PUSH_UPVALUES
    lua_settop(L, strings - 1);
}

void wl_push_households(lua_State *L, const wl_columns *cols, int64_t lo, int64_t n) {
    lua_createtable(L, n > 0x7fffffff ? 0x7fffffff : (int)n, 0);
    luaL_getmetatable(L, WL_HH_CLASS);
    /* stack: array, mt */
    for (int64_t i = 0; i < n; i++) {
        wl_hh *h = (wl_hh *)lua_newuserdatauv(L, sizeof(wl_hh), 0);
        h->cols = cols;
        h->row = lo + i;
        lua_pushvalue(L, -2);
        lua_setmetatable(L, -2);
        lua_rawseti(L, -3, (lua_Integer)(i + 1));
    }
    lua_pop(L, 1);
}

void wl_push_households_at(lua_State *L, const wl_columns *cols, const int64_t *rows, int64_t n) {
    lua_createtable(L, n > 0x7fffffff ? 0x7fffffff : (int)n, 0);
    luaL_getmetatable(L, WL_HH_CLASS);
    for (int64_t i = 0; i < n; i++) {
        wl_hh *h = (wl_hh *)lua_newuserdatauv(L, sizeof(wl_hh), 0);
        h->cols = cols;
        h->row = rows[i];
        lua_pushvalue(L, -2);
        lua_setmetatable(L, -2);
        lua_rawseti(L, -3, (lua_Integer)(i + 1));
    }
    lua_pop(L, 1);
}

int64_t wl_household_rows(lua_State *L, int idx, const wl_columns **cols, int64_t *rows, int64_t max) {
    if (!lua_checkstack(L, 3)) return -1;
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE) return -1;
    int64_t n = (int64_t)lua_rawlen(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &wl_hh_key);
    int mt = lua_gettop(L);
    for (int64_t k = 0; k < n && k < max; k++) {
        lua_rawgeti(L, idx, (lua_Integer)(k + 1));
        int ok = lua_type(L, -1) == LUA_TUSERDATA && lua_getmetatable(L, -1);
        if (ok) {
            ok = lua_rawequal(L, -1, mt);
            lua_pop(L, 1);
        }
        if (!ok) {
            lua_settop(L, mt - 1);
            return -(k + 1);
        }
        const wl_hh *h = (const wl_hh *)lua_touserdata(L, -1);
        cols[k] = h->cols;
        rows[k] = h->row;
        lua_pop(L, 1);
    }
    lua_settop(L, mt - 1);
    return n;
}
