-- 市总工会 元旦春节送温暖 (city federation of trade unions)
--
-- Follows the city federation's plan in shared/seeds/000 (篇2, “心系职工情、温暖千万家”):
--   1. 特困职工(农民工)家庭, 已建档在册的困难职工: 每户600元
--   2. 困难企业职工 (not on file, hit by closures, losses, restructuring, disasters): 每户300元
--   3. 节日坚守在一线职工代表 (key projects, sanitation, traffic police): 每人200元
--   4. 返乡农民工代表 (“平安返乡行动”): 每人300元车票补贴
--   非建档在册, 经社区和单位工会核实, 生活确实困难的: 可视情给予500元以内的慰问
local w = require "warmth"

return w.policy {
  name = "市总工会元旦春节送温暖",
  params = {
    registered = w.yuan(600),        -- 在档困难职工, per household
    distressed = w.yuan(300),        -- 困难企业职工, per household
    frontline = w.yuan(200),         -- 一线坚守职工, per person
    migrant_ticket = w.yuan(300),    -- 返乡农民工 ticket subsidy, per person
    discretionary_max = w.yuan(500), -- community-verified needy, at most
  },

  -- The city's limits on every district union whose policy says `within = "scripts/city/policy.lua"`:
  -- no household gets more than 2000 yuan from a district in this campaign (the provincial
  -- leaders' visit, 篇3 每户2000元, is the largest standard), and no payout reported under one of
  -- the city's own categories exceeds the city's standard for it (篇2). A category not listed
  -- here is bound by per_household only.
  caps = {
    per_household = w.yuan(2000),
    categories = {
      ["特困职工家庭"] = w.yuan(600),
      ["困难企业职工"] = w.yuan(300),
      ["一线坚守职工"] = w.yuan(200),
      ["返乡农民工"] = w.yuan(300),
      ["非建档困难职工"] = w.yuan(500),
    },
  },

  -- Where the money comes from (篇2 三: 上级拨付、本级筹集、财政拨付): the registered needy are paid
  -- from the city's finance allocation, returning migrant workers' tickets from the provincial
  -- federation's; the rest is charged to the campaign's sources in proportion.
  funds = { ["特困职工家庭"] = "财政拨付", ["返乡农民工"] = "上级拨付" },

  decide = function(h, p)
    -- Only live files (正式, 临时救助) are helped: 注销 and 脱困 files are not (依档帮扶).
    if not h.live then return nil end
    if h:is "在档困难职工" then
      return w.pay(p.registered, "特困职工家庭", "已建档在册的困难职工")
    end
    if h:is "困难企业职工" then
      return w.pay(p.distressed, "困难企业职工", "困难企业职工家庭")
    end
    if h:is "返乡农民工" then
      return w.pay(p.migrant_ticket, "返乡农民工", "平安返乡行动车票补贴", { kind = "ticket" })
    end
    if h:is "一线坚守职工" then
      return w.pay(p.frontline, "一线坚守职工", "节日坚守一线")
    end
    if h:is "社区核实困难" then
      -- up to 500 by degree of hardship: 300 base, 100 per hardship cause beyond the first
      -- (h:cause_count(): h.causes is the method h:causes(), a function, so #h.causes failed)
      local amount = w.cap(w.yuan(300) + w.yuan(100) * (h:cause_count() - 1), p.discretionary_max)
      return w.pay(amount, "非建档困难职工", "经社区和单位工会核实")
    end
    return nil
  end,
}
