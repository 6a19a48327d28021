-- The what-if REPL's view of a plan (`warmth repl`): `plan` and `baseline` are lists of the
-- payouts, with a few methods to ask questions of them:
--
--   plan:count()                     how many payouts
--   plan:total()                     their sum, in fen
--   plan:where(function(p) return p.amount > w.yuan(500) end)   the payouts that pass the test
--   plan:by "category"               per category (or "unit", "kind", "reason"...): count, amount
--   plan:top(10)                     the ten largest payouts
--
-- Each payout `p` has: n (the household's number, as `warmth explain` takes it), id (masked), name, unit,
-- category, amount (fen), kind, reason, rule. The host builds these afresh for every line typed,
-- from the plan it holds: changing one here changes nothing but that line's answer.
local M = {}

local Plan = {}
Plan.__index = Plan
Plan.__name = "plan"

local function plan(rows)
  return setmetatable({ rows = rows }, Plan)
end

function Plan:count() return #self.rows end

function Plan:total()
  local s = 0
  for _, p in ipairs(self.rows) do s = s + p.amount end
  return s
end

function Plan:where(test)
  if type(test) ~= "function" then error("plan:where takes a function, e.g. plan:where(function(p) return p.amount > w.yuan(500) end)", 2) end
  local out = {}
  for _, p in ipairs(self.rows) do
    if test(p) then out[#out + 1] = p end
  end
  return plan(out)
end

local Groups = { __name = "groups" }

function Plan:by(field)
  if type(field) ~= "string" then error('plan:by takes a field name, e.g. plan:by "category"', 2) end
  local index, out = {}, setmetatable({}, Groups)
  for _, p in ipairs(self.rows) do
    local key = p[field]
    if key == nil then error("a payout has no field '" .. field .. "': use n, id, name, unit, category, amount, kind, reason or rule", 2) end
    local g = index[key]
    if not g then
      g = { key = key, count = 0, amount = 0 }
      index[key] = g
      out[#out + 1] = g
    end
    g.count = g.count + 1
    g.amount = g.amount + p.amount
  end
  table.sort(out, function(a, b)
    if a.amount ~= b.amount then return a.amount > b.amount end
    return tostring(a.key) < tostring(b.key)
  end)
  return out
end

function Plan:top(n)
  n = n or 10
  local sorted = {}
  for i, p in ipairs(self.rows) do sorted[i] = p end
  table.sort(sorted, function(a, b)
    if a.amount ~= b.amount then return a.amount > b.amount end
    return a.n < b.n
  end)
  local out = {}
  for i = 1, math.min(n, #sorted) do out[i] = sorted[i] end
  return plan(out)
end

-- The plan made from the columns the host holds (one array per field, same length).
function M.plan(c)
  local rows = {}
  local n, id, name, unit, category, amount, kind, reason, rule = c.n, c.id, c.name, c.unit, c.category, c.amount, c.kind, c.reason, c.rule
  for i = 1, #n do
    rows[i] = { n = n[i], id = id[i], name = name[i], unit = unit[i], category = category[i], amount = amount[i],
                kind = kind[i], reason = reason[i], rule = rule[i] }
  end
  return plan(rows)
end

-- What the host prints: for each value, a table of text cells (columns, rows, how many rows in
-- all) or one line of text. Money columns are named "amount" and shown in yuan by the host.
local order = { "n", "id", "name", "unit", "key", "category", "count", "amount", "kind", "reason", "rule" }
local rank = {}
for i, k in ipairs(order) do rank[k] = i end

local function cell(v)
  if math.type(v) == "integer" then return v end
  return tostring(v)
end

local function records(list, limit, total)
  local seen, columns = {}, {}
  for i = 1, math.min(#list, limit) do
    local r = list[i]
    if type(r) == "table" then
      for k in pairs(r) do
        if type(k) == "string" and not seen[k] then seen[k] = true; columns[#columns + 1] = k end
      end
    end
  end
  table.sort(columns, function(a, b)
    local ra, rb = rank[a] or 100, rank[b] or 100
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  local rows = {}
  for i = 1, math.min(#list, limit) do
    local r, row = list[i], {}
    for j, k in ipairs(columns) do
      local v = type(r) == "table" and rawget(r, k) or nil
      row[j] = v == nil and "" or cell(v)
    end
    rows[i] = row
  end
  return { columns = columns, rows = rows, total = total or #list }
end

local function render(v, limit)
  if getmetatable(v) == Plan then
    local out = records(v.rows, limit)
    out.sum = v:total()
    return out
  end
  if type(v) == "table" and getmetatable(v) == Groups then return records(v, limit) end
  if type(v) == "table" and getmetatable(v) == nil then
    if #v > 0 and type(v[1]) == "table" then return records(v, limit) end
    if #v > 0 then
      local rows = {}
      for i = 1, math.min(#v, limit) do rows[i] = { i, cell(v[i]) } end
      return { columns = { "#", "value" }, rows = rows, total = #v }
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    if #keys == 0 then return { text = "{}" } end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local rows = {}
    for i = 1, math.min(#keys, limit) do rows[i] = { tostring(keys[i]), cell(v[keys[i]]) } end
    return { columns = { "key", "value" }, rows = rows, total = #keys }
  end
  return { text = tostring(v) }
end

-- Run the compiled line `f` and render what it returns (at most `limit` rows per value).
function M.show(f, limit)
  local r = table.pack(f())
  local out = {}
  for i = 1, r.n do out[i] = render(r[i], limit) end
  return out
end

return M
