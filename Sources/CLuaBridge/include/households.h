/*
 * Households as Lua sees them: small userdata that read their fields straight from the host's
 * column arrays. Building a million of them costs a few tens of milliseconds, and no field is
 * copied into Lua until a script reads it. They are read-only: writing raises an error naming
 * the field, and the metatable is protected.
 */
#ifndef WARMTH_HOUSEHOLDS_H
#define WARMTH_HOUSEHOLDS_H

#include <stddef.h>
#include <stdint.h>

typedef struct lua_State lua_State;

/* The host's columns. Every pointer must stay valid, unchanged, while the state lives. */
typedef struct wl_columns {
    int64_t count;
    const int64_t *ids;
    const int64_t *income;
    const int64_t *categories;
    const int64_t *causes;
    const uint8_t *members;
    const uint8_t *file_status;   /* index into the statuses list; below live_below is live */
    const uint8_t *difficulty;    /* 0: none; else index + 1 into the difficulty list */
    const uint8_t *main_cause;    /* likewise */
    const uint8_t *identity;      /* likewise */
    const uint32_t *units;        /* index into the unit codes */
    const uint8_t *unit_codes;    /* UTF-8, back to back */
    const uint32_t *unit_offsets; /* unit count + 1 offsets into unit_codes */
    const int32_t *registered_on; /* yyyymmdd, or 0 */
    const int16_t *age;           /* at the campaign's reference date */
    const uint8_t *male;
    const uint8_t *names;         /* UTF-8, back to back */
    const uint32_t *name_offsets; /* count + 1 offsets into names */
    int live_below;
} wl_columns;

/* Make the household class of this state. Stack in: strings, category_bit, cause_bit, methods:
 *   strings  = { statuses = {...}, difficulty = {...}, main_cause = {...},
 *                identity = {...}, sex = {"女", "男"}, categories = "a、b…", causes = "a、b…" }
 *   category_bit, cause_bit = { name = bit }
 *   methods  = { categories = f, causes = f, cause_count = f } (Lua functions of the stdlib)
 * All four are popped; the class is kept in the registry. */
void wl_households_class(lua_State *L);

/* Push an array (a Lua table) of `n` households: rows lo ..< lo + n of `cols`. The class must
 * exist. Raises nothing while the host's memory limit is lifted (Swift calls it outside Lua). */
void wl_push_households(lua_State *L, const wl_columns *cols, int64_t lo, int64_t n);
/* The same for the rows listed in `rows` (n of them), in that order. */
void wl_push_households_at(lua_State *L, const wl_columns *cols, const int64_t *rows, int64_t n);

/* For the list (a table) at `idx`: the columns and row of each of its first `max` items, which
 * must be households made by wl_push_households. Returns how many items the list has (its raw
 * length), or -k when item k is not a household. Raw access only: nothing here can raise, so it
 * may run inside a Swift function called from Lua. */
int64_t wl_household_rows(lua_State *L, int idx, const wl_columns **cols, int64_t *rows, int64_t max);

#endif
