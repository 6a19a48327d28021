-- 县区工会 元旦春节送温暖 (a district union, under the city federation's caps)
--
-- Follows shared/seeds/000 篇3 (省、市领导走访慰问; 重点对象 include 因大病、灾害等原因造成家庭
-- 特别困难的职工 and 单亲女职工):
--   省总工会领导走访困难企业、特困职工家庭: 每户2000元慰问金
-- and, within the city's standards of 000 篇2 (特困职工家庭 600, 困难企业职工 300), its own:
--   在档困难职工 400, with 200 more for a 单亲女职工 (600 in all: at the city's cap, not above)
--   困难企业职工 300 (the city's standard)
--   单亲女职工 not on file whose 人均月收入 is below the district's line (1200 yuan): 200
--
-- One payout per household; the first rule that matches wins:
--   1. the provincial leaders' visit (when leader_visit_on): 在档困难职工 with 大病 → 2000, reported
--      as 省总领导走访慰问. 篇3 asks each district to name four households in two 特困企业; this
--      policy names them by the rule (registered, and 大病), so keep the register's 大病 marks to the
--      households the district reports, or turn the rule off with leader_visit_on = false.
--   2. 在档困难职工 → 特困职工家庭 400, or 600 for a 单亲女职工.
--   3. 困难企业职工 → 300.
--   4. 单亲女职工 below the income line → 200.
-- Only live files (正式, 临时救助) are paid. The city's caps (scripts/city/policy.lua) bind every
-- payout: 2000 per household, 600 for 特困职工家庭, 300 for 困难企业职工.
local w = require "warmth"

return w.policy {
  name = "县区工会元旦春节送温暖",
  within = "scripts/city/policy.lua",
  params = {
    leader_visit_on = true,                  -- whether the provincial leaders' visit is in this campaign
    leader_visit = w.yuan(2000),             -- 省总领导走访慰问, per household (000 篇3)
    registered = w.yuan(400),                -- 在档困难职工, per household
    single_mother_topup = w.yuan(200),       -- added for a registered 单亲女职工
    distressed = w.yuan(300),                -- 困难企业职工, per household
    single_mother = w.yuan(200),             -- 单亲女职工 not on file, per household
    single_mother_income_below = w.yuan(1200), -- 人均月收入 must be below this (fen per person per month)
  },

  decide = function(h, p)
    if not h.live then return nil end

    if p.leader_visit_on and h:is "在档困难职工" and h:has "大病" then
      return w.pay(p.leader_visit, "省总领导走访慰问", "省总工会领导走访慰问，因大病特别困难的在档职工")
    end

    if h:is "在档困难职工" then
      if h:is "单亲女职工" then
        return w.pay(p.registered + p.single_mother_topup, "特困职工家庭", "建档在册的困难职工，单亲女职工另加慰问")
      end
      return w.pay(p.registered, "特困职工家庭", "建档在册的困难职工")
    end

    if h:is "困难企业职工" then
      return w.pay(p.distressed, "困难企业职工", "困难企业职工家庭")
    end

    if h:is "单亲女职工" and h.income < p.single_mother_income_below then
      return w.pay(p.single_mother, "单亲女职工", "单亲女职工，家庭人均月收入低于本区标准")
    end
    return nil
  end,
}
