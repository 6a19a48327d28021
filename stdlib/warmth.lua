--- Warmth's policy language: what a unit's policy script is written in.
---
--- A policy script returns `w.policy { ... }`: a name, the params (named standards), and a
--- `decide` function that receives one household and returns nil (no payout) or `w.pay(...)`.
--- Money is always an integer number of fen: `w.yuan(600) == 60000`. See stdlib/README.md.
---
--- The host loads this module into each script's sandbox and passes it its private helpers.
local _, host = ...

local math_type, tointeger, floor = math.type, math.tointeger, math.floor
local type, error, tostring, pairs, ipairs, select = type, error, tostring, pairs, ipairs, select
local concat, sort = table.concat, table.sort

local w = {}

local function fail(message, level)
  error(message, (level or 1) + 1)
end

-- A value as a message shows it: never through a script's __tostring (which would run the
-- script's code inside the host's error) and never with a heap address; long strings are cut.
local function describe(v)
  local t = type(v)
  if t == "string" then
    if #v > 40 then return string.format("%q", v:sub(1, 40)) .. "… (" .. #v .. " bytes)" end
    return string.format("%q", v)
  end
  if math_type(v) == "float" then return tostring(v) .. " (a float)" end
  if t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
  return "a " .. t
end

--- Check that `amount` is a valid amount of money: an integer number of fen, not negative.
--- @param amount any
--- @param what string what the amount is, for the message
--- @param level integer? the caller level to blame
--- @return integer amount
function w.check_amount(amount, what, level)
  if math_type(amount) ~= "integer" then
    if math_type(amount) == "float" then
      if amount ~= amount then
        fail(what .. " is NaN: amounts are integer fen (w.yuan(600) is 60000)", (level or 1) + 1)
      end
      fail(what .. " is " .. describe(amount) .. ": amounts are integer fen; round explicitly with w.round_yuan", (level or 1) + 1)
    end
    fail(what .. " is " .. describe(amount) .. " (a " .. type(amount) .. "), not an amount in fen", (level or 1) + 1)
  end
  if amount < 0 then fail(what .. " is negative (" .. amount .. " fen)", (level or 1) + 1) end
  -- Bounded far above any budget, so that sums and per-person products cannot wrap around.
  if amount > 1000000000000000 then fail(what .. " is " .. amount .. " fen: far too large for an amount", (level or 1) + 1) end
  return amount
end

--- Yuan to fen: `w.yuan(600) == 60000`. Takes whole yuan, or a string with up to two decimals
--- ("600.50"). A float such as 600.5 is refused: floats cannot hold money exactly.
--- @param n integer|string
--- @return integer fen
-- Amounts made with w.yuan or w.fen before the policy is declared: a bare integer param with
-- one of these values is money (`registered = w.yuan(600)`); any other integer is a count.
local declaring, made_money = true, {}
local function money_made(fen)
  if declaring then made_money[fen] = true end
  return fen
end

function w.yuan(n)
  if math_type(n) == "integer" then
    if n < 0 then fail("w.yuan(" .. n .. "): an amount cannot be negative", 2) end
    if n > 90000000000000 then fail("w.yuan(" .. n .. "): too large an amount", 2) end
    return money_made(n * 100)
  end
  if type(n) == "string" then
    local whole, frac = n:match("^%s*(%d+)%.?(%d?%d?)%s*$")
    if whole and #whole <= 15 then
      frac = frac or ""
      return money_made(tointeger(whole) * 100 + (frac == "" and 0 or tointeger(frac .. string.rep("0", 2 - #frac))))
    end
  end
  fail("w.yuan takes whole yuan (600) or a string such as \"600.50\", not " .. describe(n), 2)
end

--- An amount given in fen, checked: `w.fen(60050)`.
--- @param n integer
--- @return integer
function w.fen(n)
  return money_made(w.check_amount(n, "w.fen's argument", 2))
end

-- ---------------------------------------------------------------- typed params

local PARAM = {} -- the private mark of a declared param
local param_opts = { label = true, ref = true, min = true, max = true }
local param_checks = {
  money = function(v) return math_type(v) == "integer" and v >= 0, "an amount in fen (w.yuan(500))" end,
  count = function(v) return math_type(v) == "integer", "a whole number" end,
  percent = function(v) return math_type(v) == "integer", "a whole number of percent (85 for 85 %)" end,
  flag = function(v) return type(v) == "boolean", "true or false" end,
  text = function(v) return type(v) == "string", "a string" end,
}

local function declare(kind)
  return function(value, opts)
    local ok, what = param_checks[kind](value)
    if not ok then fail("w." .. kind .. " takes " .. what .. ", not " .. describe(value), 2) end
    opts = opts or {}
    if type(opts) ~= "table" then fail("w." .. kind .. "'s second argument is { label = \"…\", ref = \"…\", min = …, max = … }", 2) end
    for k, v in pairs(opts) do
      if not param_opts[k] then fail("w." .. kind .. ": unknown option " .. describe(k) .. " (known: label, ref, min, max)", 2) end
      if (k == "label" or k == "ref") and (type(v) ~= "string" or #v > 200) then fail("w." .. kind .. ": " .. k .. " is text of at most 200 bytes", 2) end
      if (k == "min" or k == "max") then
        if kind == "flag" or kind == "text" then fail("w." .. kind .. " has no bounds", 2) end
        if math_type(v) ~= "integer" then fail("w." .. kind .. ": " .. k .. " is " .. what .. ", not " .. describe(v), 2) end
      end
    end
    if opts.min ~= nil and value < opts.min then fail("w." .. kind .. ": the value is below its min", 2) end
    if opts.max ~= nil and value > opts.max then fail("w." .. kind .. ": the value is above its max", 2) end
    return { [PARAM] = kind, value = value, label = opts.label, ref = opts.ref, min = opts.min, max = opts.max }
  end
end

--- Typed params, with what people read about them (`warmth explain`, `--set`, the REPL):
---     params = {
---       registered = w.money(w.yuan(600), { label = "在档困难职工慰问标准", ref = "篇2 二.1", max = w.yuan(2000) }),
---       min_causes = w.count(2, { label = "至少几项困难原因", min = 1 }),
---       leader_visit_on = w.flag(true, { label = "省总领导走访慰问" }),
---       share = w.percent(85, { label = "按预算压缩比例", min = 0, max = 100 }),
---     }
--- decide gets the plain value (fen, a whole number, a boolean, percent as a whole number).
--- For the host: a unit's module is about to load; amounts it makes may be params again.
function w._declaring() declaring = true end

w.money = declare("money")
w.count = declare("count")
w.flag = declare("flag")
w.percent = declare("percent")
w.text = declare("text")

--- Round an amount to whole yuan, explicitly: mode "down" (default), "up" or "nearest"
--- (half up). It also takes a float, such as a scaled amount (`h.income * 0.8`): rounding is
--- the one place a float may become money, because the rounding is written down.
--- @param amount integer|number fen
--- @param mode string?
--- @return integer fen
function w.round_yuan(amount, mode)
  mode = mode or "down"
  local yuan
  if math_type(amount) == "float" then
    if amount ~= amount or amount < 0 or amount >= 2^53 then
      fail("the amount to round is " .. describe(amount), 2)
    end
    local y = amount / 100
    if mode == "down" then yuan = floor(y)
    elseif mode == "up" then yuan = -floor(-y)
    elseif mode == "nearest" then yuan = floor(y + 0.5) end
    if yuan then return tointeger(yuan) * 100 end
  else
    w.check_amount(amount, "the amount to round", 2)
    if mode == "down" then return amount // 100 * 100 end
    if mode == "up" then return (amount + 99) // 100 * 100 end
    if mode == "nearest" then return (amount + 50) // 100 * 100 end
  end
  fail("w.round_yuan's mode is \"down\", \"up\" or \"nearest\", not " .. describe(mode), 2)
end

--- The smaller of an amount and a cap.
--- @param amount integer
--- @param max integer
--- @return integer
function w.cap(amount, max)
  w.check_amount(amount, "the amount to cap", 2)
  w.check_amount(max, "the cap", 2)
  if amount > max then return max end
  return amount
end

--- An amount per person: `w.per_person(w.yuan(200), h)` is 200 yuan times the members.
--- @param amount integer
--- @param h table a household
--- @return integer
function w.per_person(amount, h)
  w.check_amount(amount, "the amount per person", 2)
  return w.check_amount(amount * h.members, "the amount for the household", 2)
end

--- The first tier whose `below` the value is under; the last tier may omit `below`.
--- `w.tier(h.income, { {below = w.yuan(500), pay = w.yuan(600)}, {below = w.yuan(1000), pay = w.yuan(400)}, {pay = 0} })`
--- @param value integer
--- @param tiers table
--- @return any the matching tier's `pay` (or the tier itself when it has no `pay`)
function w.tier(value, tiers)
  if math_type(value) ~= "integer" then fail("w.tier's value must be an integer, not " .. describe(value), 2) end
  for i, t in ipairs(tiers) do
    if t.below == nil or value < t.below then
      if t.pay ~= nil then return t.pay end
      return t
    end
  end
  return nil
end

local kinds = { cash = true, goods = true, ticket = true }

--- A payout: what one household receives.
--- @param amount integer fen
--- @param category string the category it is reported under (统计类别)
--- @param reason string why, in words an officer reads
--- @param opts table? kind = "cash" | "goods" | "ticket"; goods = "米、油"; rule = a name; score = integer for allocate
--- @return table payout, which records the policy line that made it
--- (w.pay is wrapped by the host so that it knows its caller's line even in `return w.pay(...)`;
--- errors are raised 3 levels up: past this function and the host's wrapper.)
w.pay = host.with_line(function(line, amount, category, reason, opts)
  w.check_amount(amount, "the payout amount", 3)
  if type(category) ~= "string" or category == "" then
    fail("w.pay needs a category (a string), not " .. describe(category), 3)
  end
  if reason ~= nil and type(reason) ~= "string" then
    fail("w.pay's reason must be a string, not " .. describe(reason), 3)
  end
  local kind, goods, rule, score, items = "cash", nil, nil, nil, nil
  if opts ~= nil then
    if type(opts) ~= "table" then fail("w.pay's fourth argument is a table of options, not " .. describe(opts), 3) end
    kind = opts.kind or "cash"
    if not kinds[kind] then fail("kind must be \"cash\", \"goods\" or \"ticket\", not " .. describe(kind), 3) end
    goods = opts.goods
    if goods ~= nil and type(goods) ~= "string" then fail("goods must be a string such as \"米、油\"", 3) end
    rule = opts.rule
    if rule ~= nil and type(rule) ~= "string" then fail("rule must be a string", 3) end
    score = opts.score
    if score ~= nil and math_type(score) ~= "integer" then fail("score must be an integer", 3) end
    items = opts.items
    if items ~= nil then
      if type(items) ~= "table" or #items == 0 then fail("items is a list such as { w.cash(w.yuan(300)), w.goods(\"大米\", \"10kg\", w.yuan(60)) }", 3) end
      local sum = 0
      for i, it in ipairs(items) do
        if type(it) ~= "table" or not kinds[it.kind] or math_type(it.value) ~= "integer" then
          fail("item " .. i .. " is not made with w.cash, w.goods or w.ticket", 3)
        end
        sum = sum + it.value
      end
      if sum ~= amount then
        fail("the items add up to " .. sum .. " fen, not the payout amount " .. amount .. " fen", 3)
      end
      if opts.kind == nil then kind = items[1].kind end
    end
  end
  return {
    amount = amount, category = category, reason = reason or category, kind = kind, goods = goods,
    rule = rule, line = line, score = score, items = items,
  }
end)

--- Items of a payout that hands over several things (`w.pay(total, category, reason, { items = { … } })`).
--- Their values must add up to the payout's amount; caps and the budget count the total.
--- @param value integer fen
function w.cash(value)
  return { kind = "cash", value = w.check_amount(value, "the cash item's value", 2) }
end

--- Goods handed over: `w.goods("大米", "10kg", w.yuan(60))`, reported as 慰问品 apart from cash.
--- @param description string what it is
--- @param quantity string? how much, as written on the receipt sheet
--- @param value integer fen
function w.goods(description, quantity, value)
  if type(description) ~= "string" or description == "" then fail("w.goods needs a description such as \"大米\"", 2) end
  if quantity ~= nil and type(quantity) ~= "string" then fail("w.goods' quantity is text such as \"10kg\"", 2) end
  return { kind = "goods", description = description, quantity = quantity, value = w.check_amount(value, "the goods' value", 2) }
end

--- A ticket subsidy item (车票补贴).
--- @param value integer fen
function w.ticket(value)
  return { kind = "ticket", value = w.check_amount(value, "the ticket subsidy's value", 2) }
end

--- Declare a policy. Checked here, so a mistake is reported at the policy's own line.
--- @param spec table name, params, decide, and optionally allocate, caps, within
--- @return table policy
local policy_keys = { name = true, params = true, decide = true, allocate = true, caps = true, within = true, funds = true }
local caps_keys = { per_household = true, categories = true }

function w.policy(spec)
  if type(spec) ~= "table" then fail("w.policy takes a table { name = ..., decide = ... }", 2) end
  for k in pairs(spec) do
    if not policy_keys[k] then
      fail("w.policy: unknown key " .. describe(k) .. " (known: name, params, decide, allocate, caps, within, funds)", 2)
    end
  end
  if type(spec.name) ~= "string" or spec.name == "" then fail("the policy needs a name", 2) end
  if type(spec.decide) ~= "function" then fail("the policy needs a decide function (h, params, campaign)", 2) end
  if spec.allocate ~= nil and type(spec.allocate) ~= "function" then fail("allocate must be a function (plan, budget, campaign)", 2) end
  if spec.within ~= nil and type(spec.within) ~= "string" then fail("within names the parent unit's policy file", 2) end
  local declared = spec.params or {}
  if type(declared) ~= "table" then fail("params must be a table of named standards", 2) end
  local params, specs = {}, {}
  for k, v in pairs(declared) do
    if type(k) ~= "string" then fail("param names are strings", 2) end
    if type(v) == "table" and v[PARAM] then
      params[k] = v.value
      specs[k] = { kind = v[PARAM], label = v.label, ref = v.ref, min = v.min, max = v.max }
    else
      local t = math_type(v) or type(v)
      if t == "integer" then
        specs[k] = { kind = made_money[v] and "money" or "count" }
      elseif t == "boolean" then
        specs[k] = { kind = "flag" }
      elseif t == "string" then
        specs[k] = { kind = "text" }
      else
        fail("param " .. k .. " is " .. describe(v) .. ": declare it with w.money, w.count, w.flag, w.percent or w.text", 2)
      end
      params[k] = v
    end
  end
  declaring, made_money = false, {}
  local caps = spec.caps
  if caps ~= nil then
    if type(caps) ~= "table" then fail("caps must be a table", 2) end
    for k in pairs(caps) do
      if not caps_keys[k] then fail("caps: unknown key " .. describe(k) .. " (known: per_household, categories)", 2) end
    end
    if caps.categories ~= nil and type(caps.categories) ~= "table" then
      fail("caps.categories must be a table { [category] = amount }", 2)
    end
    if caps.per_household ~= nil then w.check_amount(caps.per_household, "caps.per_household", 2) end
    for k, v in pairs(caps.categories or {}) do w.check_amount(v, "the cap for " .. describe(k), 2) end
  end
  if spec.funds ~= nil then
    if type(spec.funds) ~= "table" then fail("funds must be a table { [category] = \"上级拨付\" }", 2) end
    for k, v in pairs(spec.funds) do
      if type(k) ~= "string" or type(v) ~= "string" then fail("funds maps a category to a funding source, such as [\"特困职工家庭\"] = \"上级拨付\"", 2) end
    end
  end
  return { name = spec.name, params = params, param_specs = specs, decide = spec.decide, allocate = spec.allocate, caps = caps,
           within = spec.within, funds = spec.funds, __warmth_policy = true }
end

--- Category and cause names, for messages and for scripts that list them.
w.categories = host.categories
w.causes = host.causes

--- Household methods: `h:is "在档困难职工"`, `h:has "因病"`, `h:causes()`, `h:categories()`.
local category_bit, cause_bit = host.category_bit, host.cause_bit
local methods = {}

local function unknown(kind, name, list)
  fail("unknown " .. kind .. " " .. describe(name) .. "; known: " .. concat(list, "、"), 3)
end

function methods.is(h, name)
  local bit = category_bit[name]
  if bit == nil then unknown("category", name, host.categories) end
  return h._categories & bit ~= 0
end

function methods.has(h, name)
  local bit = cause_bit[name]
  if bit == nil then unknown("hardship cause", name, host.causes) end
  return h._causes & bit ~= 0
end

local function names(bits, list, index)
  local out = {}
  for _, name in ipairs(list) do
    if bits & index[name] ~= 0 then out[#out + 1] = name end
  end
  return out
end

function methods.categories(h) return names(h._categories, host.categories, category_bit) end
function methods.causes(h) return names(h._causes, host.causes, cause_bit) end

--- How many hardship causes the household has.
function methods.cause_count(h)
  local n, bits = 0, h._causes
  while bits ~= 0 do
    bits = bits & (bits - 1)
    n = n + 1
  end
  return n
end

w._household_methods = methods

return w
