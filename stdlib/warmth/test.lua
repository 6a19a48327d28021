--- Warmth's test module: policy tests written in Lua, next to the policy, by the people who
--- write the policy. The style is busted's (`describe`, `it`, `expect`), with what a union's
--- policy needs: households built from the few fields a test cares about, decisions, whole
--- fixture datasets with totals per category and unit, and expected failures.
---
---     local t = require "warmth.test"
---     local w = require "warmth"
---     local policy = require "policy"            -- the policy beside this test file
---
---     t.describe("市总工会 2026 送温暖", function()
---       t.it("pays a registered needy household 600 yuan", function()
---         local p = t.decide(policy, t.household { "在档困难职工", members = 3 })
---         t.expect(p).to_pay(w.yuan(600))
---         t.expect(p).to_be_in("特困职工家庭")
---       end)
---     end)
---
--- Run with `warmth test` (every `*_test.lua` under scripts/) or from `swift test`.
local _, host = ...
local w = require "warmth"

local type, error, tostring, pairs, ipairs, select, setmetatable, getmetatable, pcall = type, error, tostring, pairs, ipairs, select, setmetatable, getmetatable, pcall
local math_type, concat, sort, format = math.type, table.concat, table.sort, string.format

local t = {}

-- ---------------------------------------------------------------- registry of tests

local tests = {}      -- { name = "describe › it", fn = function, line = n, skip = bool }
local prefix = {}     -- the describe blocks we are inside

local function full_name(name)
  if #prefix == 0 then return name end
  return concat(prefix, " › ") .. " › " .. name
end

--- Group tests under a title. Blocks nest.
--- @param title string
--- @param body function
function t.describe(title, body)
  if type(title) ~= "string" or type(body) ~= "function" then
    error("describe takes a title and a function: describe(\"...\", function() ... end)", 2)
  end
  prefix[#prefix + 1] = title
  body()
  prefix[#prefix] = nil
end

--- Declare a test: a sentence saying what must hold, and the function that checks it.
--- @param name string
--- @param body function
function t.it(name, body)
  if type(name) ~= "string" or type(body) ~= "function" then
    error("it takes a sentence and a function: it(\"pays ...\", function() ... end)", 2)
  end
  tests[#tests + 1] = { name = full_name(name), fn = body, line = host.caller_line(1) }
end

--- Declare a test that is not run yet (reported as skipped).
function t.pending(name)
  tests[#tests + 1] = { name = full_name(name), skip = true, line = host.caller_line(1) }
end

-- ---------------------------------------------------------------- describing values

local current_household -- the household of the last decision, for failure messages

--- "¥1,234.56", as the host prints amounts.
local function money(fen)
  if math_type(fen) ~= "integer" then return tostring(fen) end
  local sign = fen < 0 and "-" or ""
  fen = fen < 0 and -fen or fen
  local whole = tostring(fen // 100):reverse():gsub("(%d%d%d)", "%1,"):reverse():gsub("^,", "")
  return format("%s¥%s.%02d", sign, whole, fen % 100)
end
t.money = money

local function show(v)
  if type(v) == "string" then return format("%q", v) end
  if type(v) == "table" then
    if v.amount ~= nil and v.category ~= nil then
      return format("a payout of %s as %s (%s)", money(v.amount), v.category, v.kind or "cash")
    end
    return "a table"
  end
  if type(v) == "number" or type(v) == "boolean" or v == nil then return tostring(v) end
  return "a " .. type(v)
end

local function about_household(h)
  h = h or current_household
  if h == nil then return "" end
  local parts = {}
  local cats = h:categories()
  parts[#parts + 1] = #cats > 0 and concat(cats, "、") or "no category"
  parts[#parts + 1] = "members " .. tostring(h.members)
  parts[#parts + 1] = "income " .. money(h.income)
  local causes = h:causes()
  if #causes > 0 then parts[#parts + 1] = "causes " .. concat(causes, "、") end
  if not h.live then parts[#parts + 1] = "file " .. tostring(h.file_status) .. " (not live)" end
  if h.name and h.name ~= "测试户" then parts[#parts + 1] = h.name end
  return " (household: " .. concat(parts, ", ") .. ")"
end

--- Does `text` contain `pattern`, as plain text or (if that fails) as a Lua pattern?
local function matches(text, pattern)
  if text:find(pattern, 1, true) then return true end
  local ok, found = pcall(string.find, text, pattern)
  return ok and found ~= nil
end

local function fail(message, level)
  error(message .. about_household(), (level or 1) + 1)
end

-- ---------------------------------------------------------------- households and campaigns

local household_keys = {
  name = true, unit = true, members = true, income = true, live = true, file_status = true, difficulty = true,
  main_cause = true, identity = true, age = true, sex = true, registered_on = true, causes = true, categories = true,
  id = true,
}
local made_at = {} -- household → the test file's line that made it (for a case's own line)

local function readonly(data, kind)
  return setmetatable({}, {
    __index = data,
    __newindex = function(_, k) error("attempt to write field '" .. tostring(k) .. "' of a read-only " .. kind, 2) end,
    __pairs = function() return next, data, nil end,
    __metatable = kind,
  })
end

--- Build a household from the fields a test cares about; the rest get sensible defaults
--- (3 members, income ¥1,500.00 a month per person, a live 正式 file, age 45, 男). It is the
--- same kind of object a run decides on, with a valid ID number made up to fit its age and sex.
--- Categories are the list part: `household { "在档困难职工", "低保", members = 2, causes = {"因病"} }`.
--- @param spec table
--- @return userdata a read-only household, as in a run
function t.household(spec)
  spec = spec or {}
  if type(spec) ~= "table" then error("household takes a table", 2) end
  for k in pairs(spec) do
    if type(k) == "string" and not household_keys[k] then
      error("household: unknown field " .. format("%q", k) .. " (known: name, unit, members, income, live, file_status, difficulty, main_cause, identity, age, sex, registered_on, categories, causes, id)", 2)
    end
  end
  -- Names to a bit set, refusing an unknown one with the list of known ones.
  local function bits(names, index, known, word)
    local set = 0
    for _, name in ipairs(names) do
      local bit = index[name]
      if bit == nil then
        error("household: unknown " .. word .. " " .. format("%q", tostring(name)) .. "; known: " .. concat(known, "、"), 3)
      end
      set = set | bit
    end
    return set
  end
  local cats = bits(spec, host.category_bit, host.categories, "category")
    | bits(spec.categories or {}, host.category_bit, host.categories, "category")
  local causes = bits(spec.causes or {}, host.cause_bit, host.causes, "hardship cause")
  local statuses = { ["正式"] = true, ["临时救助"] = true, ["注销"] = false, ["脱困"] = false }
  local status = spec.file_status
  if spec.live == false and status == nil then status = "注销" end
  status = status or "正式"
  if statuses[status] == nil then
    error("household: unknown file_status " .. format("%q", tostring(status)) .. " (正式, 临时救助, 注销 or 脱困)", 2)
  end
  if spec.live ~= nil and spec.live ~= statuses[status] then
    error("household: live = " .. tostring(spec.live) .. " does not fit file_status " .. status .. " (正式 and 临时救助 are live)", 2)
  end
  local function whole(key, lo, hi, what)
    local v = spec[key]
    if v ~= nil and (math_type(v) ~= "integer" or v < lo or (hi and v > hi)) then
      error("household: " .. key .. " is " .. what .. ", not " .. show(v), 3)
    end
  end
  whole("income", 0, nil, "fen per person per month, an integer (w.yuan(1200))")
  whole("members", 1, 20, "a whole number from 1 to 20")
  whole("age", 0, 120, "a whole number of years from 0 to 120")
  whole("id", 1, nil, "a positive whole number")
  for _, key in ipairs { "name", "unit", "difficulty", "main_cause", "identity", "registered_on" } do
    if spec[key] ~= nil and type(spec[key]) ~= "string" then error("household: " .. key .. " is text, not " .. show(spec[key]), 2) end
  end
  local sex = spec.sex
  if sex ~= nil and sex ~= "男" and sex ~= "女" then error("household: sex is \"男\" or \"女\", not " .. show(sex), 2) end
  if sex == nil then sex = (cats & host.category_bit["单亲女职工"] ~= 0) and "女" or "男" end
  local ok, h = pcall(host.household, {
    id = spec.id, name = spec.name, unit = spec.unit, members = spec.members, income = spec.income, file_status = status,
    difficulty = spec.difficulty, main_cause = spec.main_cause, identity = spec.identity, age = spec.age, sex = sex,
    registered_on = spec.registered_on, categories = cats, causes = causes,
  })
  if not ok then error(type(h) == "string" and h:gsub("^[^\n]-warmth/test%.lua:%d+: ", "", 1) or tostring(h), 2) end
  made_at[h] = host.caller_line(1)
  return h
end

--- A campaign for tests: budget in fen, dates as strings. Ages are counted to its start (its
--- reference date; `reference_date = …` is taken as the start when no start is given).
local campaign_keys = { name = true, unit = true, start = true, finish = true, reference_date = true, budget = true, phase = true, funds = true }
function t.campaign(spec)
  spec = spec or {}
  if type(spec) ~= "table" then error("campaign takes a table", 2) end
  for k in pairs(spec) do
    if not campaign_keys[k] then
      error("campaign: unknown field " .. format("%q", tostring(k)) .. " (name, unit, start, finish, reference_date, budget, phase, funds)", 2)
    end
  end
  local start = spec.start or spec.reference_date or "2025-12-20"
  local data = {
    name = spec.name or "测试活动", unit = spec.unit or "TEST", start = start,
    finish = spec.finish or "2026-02-10", reference_date = start,
    budget = spec.budget or w.yuan(1000000), phase = spec.phase or "准备", funds = spec.funds or {},
  }
  if data.budget ~= nil then w.check_amount(data.budget, "the campaign's budget", 2) end
  return readonly(data, "campaign")
end

local function check_policy(policy, level)
  if type(policy) ~= "table" or type(policy.decide) ~= "function" then
    error("expected a policy (what `require \"policy\"` returns), got " .. show(policy), level + 1)
  end
end

-- A flat copy of a campaign's fields, for the host.
local function campaign_fields(c)
  if c == nil then return nil end
  if getmetatable(c) ~= "campaign" then error("expected a campaign made with t.campaign { ... }, got " .. show(c), 4) end
  local funds = {}
  for k, v in pairs(c.funds) do
    if type(k) == "string" and math_type(v) == "integer" then funds[k] = v end
  end
  return { name = c.name, unit = c.unit, start = c.start, finish = c.finish, budget = c.budget, phase = c.phase, funds = funds }
end

-- Evaluate through the host's engine, the one `warmth run` uses: the same result checks, caps
-- through the whole `within` chain, allocate with the budget, 不重 against `paid`.
local option_keys = { campaign = true, budget = true, paid = true, committed = true }
local function evaluate(policy, households, params, options, level)
  local flat = {}
  if params ~= nil then
    if type(params) ~= "table" then error("params is a table { name = value }, not " .. show(params), level + 1) end
    for k, v in pairs(params) do
      if type(k) ~= "string" or type(v) == "table" or type(v) == "function" then
        error("params: " .. tostring(k) .. " must be a name with an integer, a string or a boolean", level + 1)
      end
      flat[k] = v
    end
  end
  local opts = {}
  if options ~= nil then
    if getmetatable(options) == "campaign" then options = { campaign = options } end
    if type(options) ~= "table" then error("options are { budget = …, paid = { … }, committed = …, campaign = t.campaign { … } }", level + 1) end
    for k in pairs(options) do
      if not option_keys[k] then error("options: unknown key " .. format("%q", tostring(k)) .. " (budget, paid, committed, campaign)", level + 1) end
    end
    opts.campaign = campaign_fields(options.campaign)
    if options.budget ~= nil then opts.budget = w.check_amount(options.budget, "the budget", level + 1) end
    if options.committed ~= nil then opts.committed = w.check_amount(options.committed, "what is already committed", level + 1) end
    if options.paid ~= nil then
      local ids = {}
      for i, h in ipairs(options.paid) do
        if getmetatable(h) ~= "household" then error("paid: item " .. i .. " is not a household", level + 1) end
        ids[i] = h.id
      end
      opts.paid_ids = ids
    end
  end
  local ok, plan = pcall(host.evaluate, policy, households, flat, opts)
  if not ok then
    -- Blame the test's line, not this module's: the message names the policy's line itself.
    plan = type(plan) == "string" and plan:gsub("^[^\n]-warmth/test%.lua:%d+: ", "", 1) or tostring(plan)
    error(plan, level + 1)
  end
  return plan
end

--- Decide one household with a policy, through the engine `warmth run` uses (its checks and
--- caps hold); params may override the policy's own; the fourth argument is a campaign
--- (t.campaign) or options as for t.run.
--- @return table|nil the payout, or nil
function t.decide(policy, h, params, campaign)
  check_policy(policy, 2)
  if getmetatable(h) ~= "household" then error("t.decide takes a household made with t.household or t.fixture, not " .. show(h), 2) end
  current_household = h
  local plan = evaluate(policy, { h }, params, campaign, 2)
  return plan.payouts[1]
end

-- ---------------------------------------------------------------- expectations

local Expectation = {}
Expectation.__index = Expectation

--- Start an expectation: `expect(value).to_pay(w.yuan(600))` (or with `:`; both work).
function t.expect(value)
  local state = setmetatable({ value = value }, Expectation)
  local view
  -- Checks return `state.view`, so `.` and `:` chains both work.
  view = setmetatable({}, {
    __index = function(_, name)
      local method = Expectation[name]
      if method == nil then error("expect(...) has no check " .. format("%q", tostring(name)), 2) end
      -- A tail call, so that a failure is reported at the test's own line.
      return function(first, ...)
        if first == view then return method(state, ...) end
        return method(state, first, ...)
      end
    end,
  })
  state.view = view
  return view
end

local function payout(self, what)
  local p = self.value
  if p == nil then fail("expected " .. what .. ", but the household gets nothing (decide returned nil)", 3) end
  if type(p) ~= "table" or p.amount == nil then fail("expected " .. what .. ", got " .. show(p), 3) end
  return p
end

--- The decision pays exactly `amount` fen.
function Expectation:to_pay(amount)
  w.check_amount(amount, "the expected amount", 2)
  local p = payout(self, "a payout of " .. money(amount))
  if p.amount ~= amount then
    fail("expected a payout of " .. money(amount) .. ", got " .. money(p.amount) .. " as " .. tostring(p.category), 2)
  end
  return self.view
end

--- The decision pays nothing (decide returned nil).
function Expectation:to_pay_nothing()
  if self.value ~= nil then fail("expected no payout, got " .. show(self.value), 2) end
  return self.view
end

--- The payout is reported under `category`.
function Expectation:to_be_in(category)
  local p = payout(self, "a payout in " .. category)
  if p.category ~= category then fail("expected the category " .. format("%q", category) .. ", got " .. format("%q", tostring(p.category)), 2) end
  return self.view
end

--- The payout is of kind "cash", "goods" or "ticket".
function Expectation:to_be_kind(kind)
  local p = payout(self, "a " .. kind .. " payout")
  if p.kind ~= kind then fail("expected kind " .. format("%q", kind) .. ", got " .. format("%q", tostring(p.kind)), 2) end
  return self.view
end

--- The payout's reason matches a Lua pattern (plain text works too).
function Expectation:to_give_reason(pattern)
  local p = payout(self, "a payout with reason " .. pattern)
  if type(p.reason) ~= "string" or not matches(p.reason, pattern) then
    fail("expected a reason matching " .. format("%q", pattern) .. ", got " .. format("%q", tostring(p.reason)), 2)
  end
  return self.view
end

--- Plain equality, for any value.
function Expectation:to_equal(expected)
  if self.value ~= expected then fail("expected " .. show(expected) .. ", got " .. show(self.value), 2) end
  return self.view
end

--- The value (a function) fails with a message matching `pattern` (plain text works too).
function Expectation:to_fail(pattern)
  if type(self.value) ~= "function" then fail("to_fail needs a function to call, got " .. show(self.value), 2) end
  local ok, message = pcall(self.value)
  if ok then fail("expected a failure" .. (pattern and (" matching " .. format("%q", pattern)) or "") .. ", but it succeeded", 2) end
  message = type(message) == "string" and message or show(message)
  if pattern and not matches(message, pattern) then
    fail("expected a failure matching " .. format("%q", pattern) .. ", got: " .. message, 2)
  end
  return self.view
end

-- ---------------------------------------------------------------- cases: a table of households

--- A table of cases for one policy, read almost like YAML:
---     t.cases(policy, "市总工会 2026 送温暖") {
---       { "在档困难职工家庭 gets 600 yuan", t.household { "在档困难职工" }, pays = w.yuan(600), category = "特困职工家庭" },
---       { "no category, no payout", t.household {}, pays = 0 },
---     }
--- `pays = 0` (or false) means no payout; `params = {...}` overrides params for that case. A
--- failing case is reported at its own line (the line where its household is made).
function t.cases(policy, title)
  check_policy(policy, 2)
  local where = host.caller_where(1)
  local file, at = where:match("^(.-):(%d+): $")
  at = tonumber(at) or 0
  return function(list)
    for i, case in ipairs(list) do
      local name = case[1] or ("case " .. i)
      local h = case[2]
      -- The case's own line: where its household was made (a case is one row of the table).
      local line = made_at[h] or at
      local here = file and (file .. ":" .. line .. ": ") or where
      local function check()
        local p = t.decide(policy, h, case.params, case.campaign)
        if case.pays == 0 or case.pays == false then
          t.expect(p).to_pay_nothing()
        else
          if case.pays ~= nil then t.expect(p).to_pay(case.pays) end
          if case.category ~= nil then t.expect(p).to_be_in(case.category) end
          if case.kind ~= nil then t.expect(p).to_be_kind(case.kind) end
          if case.reason ~= nil then t.expect(p).to_give_reason(case.reason) end
        end
      end
      tests[#tests + 1] = {
        name = full_name(title .. " › " .. name), line = line,
        fn = function()
          local ok, message = pcall(check)
          if not ok then
            -- Report at the cases table in the test file, naming the case, not inside this module.
            message = type(message) == "string" and message:gsub("^[^\n]-:%d+: ", "", 1) or tostring(message)
            error(here .. "case " .. i .. ": " .. message, 0)
          end
        end,
      }
    end
  end
end

-- ---------------------------------------------------------------- datasets

--- Read a fixture CSV beside the test (the same columns `warmth import households` takes) as a
--- list of households. Rows are checked as an import checks them.
function t.fixture(path)
  return host.fixture(path)
end

--- The household named `name` in a list (a fixture), or an error.
function t.find(households, name)
  for _, h in ipairs(households) do
    if h.name == name then return h end
  end
  error("no household named " .. format("%q", tostring(name)) .. " in the list", 2)
end

--- Load a policy file by its path (for a parent's caps, or a policy in another folder).
function t.policy(path)
  return host.load_policy(path)
end

--- Run a policy over a list of households exactly as `warmth run` does — its checks, the caps
--- of its own and of the policies it runs `within`, `allocate` fitted to the budget, and 不重 —
--- and return the plan: `total`, `count` (person-times), `by_category[c] = {count=, amount=}`,
--- `by_unit[u] = {count=, amount=}`, `payouts` (each with its `household`), `duplicates`, and
--- `left(budget)`. Options: `budget` (what allocate fits to; the campaign's by default), `paid`
--- (households already paid in the campaign), `committed` (fen the ledger already holds),
--- `campaign` (t.campaign { … }); a campaign alone works too.
function t.run(policy, households, params, options)
  check_policy(policy, 2)
  if type(households) ~= "table" then error("t.run takes a list of households (t.fixture or t.household), not " .. show(households), 2) end
  current_household = nil
  local r = evaluate(policy, households, params, options, 2)
  local plan = { total = 0, count = 0, by_category = {}, by_unit = {}, payouts = {}, duplicates = r.duplicates, budget = r.budget }
  for _, pay in ipairs(r.payouts) do
    local h = households[pay.index]
    plan.total = plan.total + pay.amount
    plan.count = plan.count + 1
    local bc = plan.by_category[pay.category] or { count = 0, amount = 0 }
    bc.count, bc.amount = bc.count + 1, bc.amount + pay.amount
    plan.by_category[pay.category] = bc
    local bu = plan.by_unit[h.unit] or { count = 0, amount = 0 }
    bu.count, bu.amount = bu.count + 1, bu.amount + pay.amount
    plan.by_unit[h.unit] = bu
    plan.payouts[#plan.payouts + 1] = { household = h, payout = pay }
  end
  function plan.left(budget) return (budget or plan.budget) - plan.total end
  return plan
end

--- Expect a plan's figures: `t.expect_totals(plan, { total = w.yuan(7500), count = 16,
--- by_category = { ["特困职工家庭"] = { count = 7, amount = w.yuan(4200) } } })`.
local totals_keys = { total = true, count = true, exactly = true, by_category = true, by_unit = true }

function t.expect_totals(plan, expected)
  current_household = nil
  for k in pairs(expected) do
    if not totals_keys[k] then
      error("expect_totals: unknown key " .. format("%q", tostring(k)) .. " (total, count, exactly, by_category, by_unit)", 2)
    end
  end
  if expected.total ~= nil and plan.total ~= expected.total then
    error("expected a total of " .. money(expected.total) .. ", got " .. money(plan.total), 2)
  end
  if expected.count ~= nil and plan.count ~= expected.count then
    error("expected " .. expected.count .. " person-times (人次), got " .. plan.count, 2)
  end
  for _, group in ipairs { "by_category", "by_unit" } do
    for key, want in pairs(expected[group] or {}) do
      local got = plan[group][key] or { count = 0, amount = 0 }
      if want.count ~= nil and got.count ~= want.count then
        error(format("%s %s: expected %d person-times (人次), got %d", group == "by_unit" and "unit" or "category", key, want.count, got.count), 2)
      end
      if want.amount ~= nil and got.amount ~= want.amount then
        error(format("%s %s: expected %s, got %s", group == "by_unit" and "unit" or "category", key, money(want.amount), money(got.amount)), 2)
      end
    end
    if expected[group] and expected.exactly then
      for key, got in pairs(plan[group]) do
        if expected[group][key] == nil then
          error(format("%s: not expected, but %d person-times (人次) got %s", key, got.count, money(got.amount)), 2)
        end
      end
    end
  end
end

-- ---------------------------------------------------------------- for the runner

--- How many tests the file declared (the runner calls this).
function t._count() return #tests end

--- The full name of test `i` (for --filter, before running it).
function t._name(i) return tests[i] and tests[i].name end

--- The line that declared test `i` (to blame a test stopped by a limit).
function t._line(i) return tests[i] and tests[i].line end

--- Run test `i`: returns name, status ("pass", "fail", "skip"), message, line.
function t._run(i)
  local test = tests[i]
  current_household = nil
  if test.skip then return test.name, "skip", "", test.line end
  local ok, message = pcall(test.fn)
  current_household = nil
  if ok then return test.name, "pass", "", test.line end
  if type(message) ~= "string" then message = "(error object is a " .. type(message) .. " value)" end
  return test.name, "fail", message, test.line
end

return t
