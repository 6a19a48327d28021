-- Tests for the district union's policy (scripts/district/policy.lua), which runs within the city
-- federation's caps (scripts/city/policy.lua). Run: warmth test scripts/district
local t = require "warmth.test"
local w = require "warmth"
local policy = require "policy"
local household, yuan = t.household, w.yuan

-- The fixture's household called `name` (its names are unique), for decisions on real rows.
t.cases(policy, "rule 1: the provincial leaders' visit (省总领导走访慰问)") {
  { "a registered household with the cause 大病 gets the leaders' 2000 yuan",
    household { "在档困难职工", causes = { "大病" } }, pays = yuan(2000), category = "省总领导走访慰问", kind = "cash" },
  { "a registered household with 因病 but not 大病 is not visited and gets the 400 yuan standard",
    household { "在档困难职工", causes = { "因病" } }, pays = yuan(400), category = "特困职工家庭" },
  { "a household with 大病 that is not on file (在档) is not visited and gets nothing",
    household { causes = { "大病" } }, pays = 0 },
  { "a registered single mother with 大病 is visited: 2000 yuan, not 600",
    household { "在档困难职工", "单亲女职工", sex = "女", causes = { "大病", "单亲" } },
    pays = yuan(2000), category = "省总领导走访慰问" },
  { "a registered worker of a distressed enterprise with 大病 is visited: 2000 yuan, not 300",
    household { "在档困难职工", "困难企业职工", causes = { "大病" } }, pays = yuan(2000), category = "省总领导走访慰问" },
}

t.cases(policy, "rule 2: registered needy workers (特困职工家庭)") {
  { "a registered household gets 400 yuan as 特困职工家庭",
    household { "在档困难职工" }, pays = yuan(400), category = "特困职工家庭", kind = "cash", reason = "^建档在册的困难职工$" },
  { "a registered single mother gets 400 + 200 = 600 yuan, exactly the city's cap",
    household { "在档困难职工", "单亲女职工", sex = "女", causes = { "单亲" } },
    pays = yuan(600), category = "特困职工家庭", reason = "单亲女职工另加慰问" },
  { "a registered single mother is paid 600 yuan whatever her income: the income line is for rule 4 only",
    household { "在档困难职工", "单亲女职工", sex = "女", income = yuan(5000) }, pays = yuan(600), category = "特困职工家庭" },
  { "a registered worker of a distressed enterprise gets 400 yuan as 特困职工家庭, not 300",
    household { "在档困难职工", "困难企业职工" }, pays = yuan(400), category = "特困职工家庭" },
}

t.cases(policy, "rule 3: workers of distressed enterprises (困难企业职工)") {
  { "a distressed-enterprise worker's household gets 300 yuan, the city's standard",
    household { "困难企业职工" }, pays = yuan(300), category = "困难企业职工", kind = "cash" },
  { "a distressed-enterprise worker who is also an unregistered single mother below the line gets 300 yuan, not 200",
    household { "困难企业职工", "单亲女职工", sex = "女", income = yuan(800) }, pays = yuan(300), category = "困难企业职工" },
}

t.cases(policy, "rule 4: unregistered single mothers below the income line (单亲女职工)") {
  { "a single mother with 1,199.99 yuan a person a month, one fen below the line, gets 200 yuan",
    household { "单亲女职工", sex = "女", income = yuan("1199.99") }, pays = yuan(200), category = "单亲女职工", kind = "cash" },
  { "a single mother with exactly 1,200.00 yuan a person a month is not below the line and gets nothing",
    household { "单亲女职工", sex = "女", income = yuan(1200) }, pays = 0 },
  { "a single mother with 1,200.01 yuan a person a month, one fen above the line, gets nothing",
    household { "单亲女职工", sex = "女", income = yuan("1200.01") }, pays = 0 },
  { "a single mother with no income at all gets 200 yuan",
    household { "单亲女职工", sex = "女", income = 0 }, pays = yuan(200), category = "单亲女职工" },
}

t.cases(policy, "households the district does not pay") {
  { "a household in no category gets nothing", household {}, pays = 0 },
  { "a household in no category gets nothing even below the single mothers' income line",
    household { sex = "女", income = yuan(800) }, pays = 0 },
  { "a 低保 household not on file gets nothing, however low its income", household { "低保", income = yuan(300) }, pays = 0 },
  { "a community-verified needy household (社区核实困难) gets nothing from the district",
    household { "社区核实困难", causes = { "因病", "因残" } }, pays = 0 },
  { "a returning migrant worker gets nothing from the district", household { "返乡农民工" }, pays = 0 },
  { "a front-line worker gets nothing from the district", household { "一线坚守职工" }, pays = 0 },
}

t.describe("members", function()
  t.it("every standard is per household: the same amounts for 1 member and for 20", function()
    for _, case in ipairs {
      { spec = { "在档困难职工", causes = { "大病" } }, pays = yuan(2000) },
      { spec = { "在档困难职工" }, pays = yuan(400) },
      { spec = { "在档困难职工", "单亲女职工", sex = "女" }, pays = yuan(600) },
      { spec = { "困难企业职工" }, pays = yuan(300) },
      { spec = { "单亲女职工", sex = "女", income = yuan(1000) }, pays = yuan(200) },
    } do
      case.spec.members = 1
      t.expect(t.decide(policy, household(case.spec))).to_pay(case.pays)
      case.spec.members = 20
      t.expect(t.decide(policy, household(case.spec))).to_pay(case.pays)
    end
  end)
  t.it("the income line is per person, not per household: 20 members at 1,000 yuan each are below it", function()
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", members = 20, income = yuan(1000) })).to_pay(yuan(200))
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", members = 1, income = yuan(1200) })).to_pay_nothing()
  end)
end)

t.describe("live and closed files (依档帮扶)", function()
  t.it("a 临时救助 file is live and is paid like a 正式 one", function()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "临时救助", causes = { "大病" } })).to_pay(yuan(2000))
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "临时救助" })).to_pay(yuan(400))
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", income = yuan(900), file_status = "临时救助" })).to_pay(yuan(200))
  end)
  t.it("a closed file (注销) gets nothing, not even the leaders' visit", function()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "注销", causes = { "大病" } })).to_pay_nothing()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "注销" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "困难企业职工", file_status = "注销" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", income = yuan(800), file_status = "注销" })).to_pay_nothing()
  end)
  t.it("a file out of hardship (脱困) gets nothing, not even the leaders' visit", function()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "脱困", causes = { "大病" } })).to_pay_nothing()
    t.expect(t.decide(policy, household { "在档困难职工", "单亲女职工", sex = "女", file_status = "脱困" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "困难企业职工", file_status = "脱困" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", income = yuan(800), file_status = "脱困" })).to_pay_nothing()
  end)
end)

t.describe("what-if: changed standards", function()
  t.it("with no leaders' visit (leader_visit_on = false) a registered 大病 household gets 400 yuan, and a single mother 600", function()
    local params = { leader_visit_on = false }
    local p = t.decide(policy, household { "在档困难职工", causes = { "大病" } }, params)
    t.expect(p).to_pay(yuan(400))
    t.expect(p).to_be_in("特困职工家庭")
    p = t.decide(policy, household { "在档困难职工", "单亲女职工", sex = "女", causes = { "大病" } }, params)
    t.expect(p).to_pay(yuan(600))
    t.expect(p).to_be_in("特困职工家庭")
  end)
  t.it("a leaders' visit of 1800 yuan pays 1800 to a registered 大病 household", function()
    t.expect(t.decide(policy, household { "在档困难职工", causes = { "大病" } }, { leader_visit = yuan(1800) })).to_pay(yuan(1800))
  end)
  t.it("a registered standard of 350 yuan pays 350, and 550 to a registered single mother", function()
    local params = { registered = yuan(350) }
    t.expect(t.decide(policy, household { "在档困难职工" }, params)).to_pay(yuan(350))
    t.expect(t.decide(policy, household { "在档困难职工", "单亲女职工", sex = "女" }, params)).to_pay(yuan(550))
  end)
  t.it("a single mother's top-up of 100 yuan makes a registered single mother's payout 500", function()
    t.expect(t.decide(policy, household { "在档困难职工", "单亲女职工", sex = "女" }, { single_mother_topup = yuan(100) })).to_pay(yuan(500))
  end)
  t.it("a distressed standard of 250 yuan pays 250 to a distressed-enterprise worker", function()
    t.expect(t.decide(policy, household { "困难企业职工" }, { distressed = yuan(250) })).to_pay(yuan(250))
  end)
  t.it("a single mothers' standard of 150 yuan pays 150 below the line and still nothing at it", function()
    local params = { single_mother = yuan(150) }
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", income = yuan("1199.99") }, params)).to_pay(yuan(150))
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", income = yuan(1200) }, params)).to_pay_nothing()
  end)
  t.it("an income line raised to 1,200.01 yuan pays a single mother at exactly 1,200.00, and still not one at 1,200.01", function()
    local params = { single_mother_income_below = yuan("1200.01") }
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", income = yuan(1200) }, params)).to_pay(yuan(200))
    t.expect(t.decide(policy, household { "单亲女职工", sex = "女", income = yuan("1200.01") }, params)).to_pay_nothing()
  end)
end)

t.describe("the fixture dataset", function()
  local households = t.fixture("../fixtures/households.csv")

  -- Worked out by hand in scripts/fixtures/EXPECTED.md §4 (all 33 rows; row numbers as there):
  --   省总领导走访慰问  #2 #29 #32 (在档 with 大病; #32 also 单亲女职工)  3 × 2000           = 6000
  --   特困职工家庭      #1 400, #3 400, #4 600 (单亲女职工), #19 400       4 人次             = 1800
  --   困难企业职工      #5                                               1 × 300            =  300
  --   单亲女职工        #30 (1199.99, below 1200) → 200; #31 (1200.00) and #21 (注销) nothing =  200
  --   9 人次, 6000 + 1800 + 300 + 200 = 8300 yuan.
  -- By unit, from the same rows:
  --   S110 #1 400 + #2 2000 = 2400 (2)     S240 #29 2000 (1)     S130 #32 2000 (1)
  --   S230 #3 400 + #5 300 = 700 (2)       S220 #4 600 + #30 200 = 800 (2)     S210 #19 400 (1)
  --   2 + 1 + 1 + 2 + 2 + 1 = 9; 2400 + 2000 + 2000 + 700 + 800 + 400 = 8300.
  t.it("pays 9 households 8,300 yuan in all, 6,000 of it for the leaders' visits", function()
    local plan = t.run(policy, households)
    t.expect_totals(plan, {
      total = yuan(8300), count = 9, exactly = true,
      by_category = {
        ["省总领导走访慰问"] = { count = 3, amount = yuan(6000) },
        ["特困职工家庭"] = { count = 4, amount = yuan(1800) },
        ["困难企业职工"] = { count = 1, amount = yuan(300) },
        ["单亲女职工"] = { count = 1, amount = yuan(200) },
      },
      by_unit = {
        S110 = { count = 2, amount = yuan(2400) },
        S240 = { count = 1, amount = yuan(2000) },
        S130 = { count = 1, amount = yuan(2000) },
        S230 = { count = 2, amount = yuan(700) },
        S220 = { count = 2, amount = yuan(800) },
        S210 = { count = 1, amount = yuan(400) },
      },
    })
  end)

  t.it("decides the fixture's income-line rows as EXPECTED.md says: 1,199.99 is paid, 1,200.00 is not", function()
    -- #30 邓海燕: 单亲女职工, 1199.99 → 200.
    local p = t.decide(policy, t.find(households, "邓海燕"))
    t.expect(p).to_pay(yuan(200))
    t.expect(p).to_be_in("单亲女职工")
    -- #31 曹红: 单亲女职工, exactly 1200.00 → nothing.
    t.expect(t.decide(policy, t.find(households, "曹红"))).to_pay_nothing()
    -- #21 郑丽娜: 单亲女职工, 800, but 注销 → nothing.
    t.expect(t.decide(policy, t.find(households, "郑丽娜"))).to_pay_nothing()
    -- #32 彭小红: 在档, 大病, 单亲女职工 → the visit, 2000.
    p = t.decide(policy, t.find(households, "彭小红"))
    t.expect(p).to_pay(yuan(2000))
    t.expect(p).to_be_in("省总领导走访慰问")
  end)

  -- What-if (EXPECTED.md §4): leader_visit_on = false. #2 #29 → 400 each and #32 → 600 (单亲女职工)
  -- join #1 #3 #4 #19 under 特困职工家庭: 1800 + 400 + 400 + 600 = 3200, 7 人次;
  -- 困难企业职工 1 / 300; 单亲女职工 1 / 200. 9 人次, 3200 + 300 + 200 = 3700 yuan.
  t.it("without the leaders' visit the fixture costs 3,700 yuan, 3,200 of it under 特困职工家庭", function()
    local plan = t.run(policy, households, { leader_visit_on = false })
    t.expect_totals(plan, {
      total = yuan(3700), count = 9, exactly = true,
      by_category = {
        ["特困职工家庭"] = { count = 7, amount = yuan(3200) },
        ["困难企业职工"] = { count = 1, amount = yuan(300) },
        ["单亲女职工"] = { count = 1, amount = yuan(200) },
      },
    })
  end)
end)

t.describe("the city's caps (within scripts/city/policy.lua)", function()
  local households = t.fixture("../fixtures/households.csv")
  local city = t.policy(policy.within)

  t.it("runs within the city federation's policy", function()
    t.expect(policy.within).to_equal("scripts/city/policy.lua")
  end)

  -- The city's caps: 2000 per household; 特困职工家庭 600, 困难企业职工 300 (and 一线坚守职工 200,
  -- 返乡农民工 300, 非建档困难职工 500, which the district does not pay). Over the fixture, five
  -- payouts are exactly at a cap: the visits #2 #29 #32 (2000, the per-household cap), #4's 600
  -- (特困职工家庭) and #5's 300 (困难企业职工: the district pays the city's own standard).
  -- (EXPECTED.md §4 names only the first two kinds; #5 is at its cap too.)
  t.it("keeps every payout over the fixture within the city's per-household and per-category caps", function()
    local plan = t.run(policy, households) -- t.run itself fails on a payout over a cap; check it here too
    local over, at_cap = {}, {}
    for _, row in ipairs(plan.payouts) do
      local pay, name = row.payout, row.household.name
      local limit = city.caps.categories[pay.category]
      if pay.amount > city.caps.per_household or (limit and pay.amount > limit) then
        over[#over + 1] = name .. " " .. t.money(pay.amount) .. " as " .. pay.category
      end
      if pay.amount == city.caps.per_household or pay.amount == limit then at_cap[#at_cap + 1] = name end
    end
    t.expect(table.concat(over, "; ")).to_equal("")
    table.sort(at_cap)
    local want = { "冯晓东", "刘芳", "彭小红", "李秀英", "陈强" }
    table.sort(want)
    t.expect(table.concat(at_cap, "、")).to_equal(table.concat(want, "、"))
  end)

  t.it("pays the district's own category (单亲女职工), which the city does not list, up to the per-household cap", function()
    -- 单亲女职工 is bound only by the 2000 per household: 900 for #30 is allowed.
    local plan = t.run(policy, households, { single_mother = yuan(900) })
    t.expect_totals(plan, { by_category = { ["单亲女职工"] = { count = 1, amount = yuan(900) } } })
  end)

  t.it("refuses a registered standard of 900 yuan, over the city's 600 for 特困职工家庭", function()
    t.expect(function() t.run(policy, households, { registered = yuan(900) }) end).to_fail("over the cap")
  end)

  t.it("refuses a registered standard of 500 yuan: a registered single mother's 700 is over the city's 600", function()
    -- EXPECTED.md §4: #4 刘芳 would get 500 + 200 = 700 > 600.
    t.expect(function() t.run(policy, households, { registered = yuan(500) }) end)
      .to_fail("would get ¥700.00 as 特困职工家庭, over the cap of ¥600.00 set by scripts/city/policy.lua")
  end)

  t.it("accepts a single mother's top-up at the cap (200 yuan, 600 in all) and refuses it one fen over", function()
    t.run(policy, households, { single_mother_topup = yuan(200) })
    t.expect(function() t.run(policy, households, { single_mother_topup = yuan("200.01") }) end).to_fail("over the cap of ¥600.00")
  end)

  t.it("refuses a distressed standard of 900 yuan, over the city's 300 for 困难企业职工", function()
    t.expect(function() t.run(policy, households, { distressed = yuan(900) }) end).to_fail("over the cap of ¥300.00")
  end)

  t.it("refuses a leaders' visit one fen over 2000 yuan, the city's per-household cap", function()
    t.expect(function() t.run(policy, households, { leader_visit = yuan("2000.01") }) end)
      .to_fail("over the cap of ¥2,000.00 per household")
  end)

  t.it("does not mind a raised leaders' visit standard when there is no visit", function()
    local plan = t.run(policy, households, { leader_visit = yuan(5000), leader_visit_on = false })
    t.expect_totals(plan, { total = yuan(3700), count = 9 })
  end)

  t.it("applies the city's caps to a single decision as a run does: t.decide refuses a raised standard", function()
    -- t.decide goes through the same engine as warmth run: what a test passes, a run pays.
    t.expect(function() t.decide(policy, household { "在档困难职工" }, { registered = yuan(900) }) end)
      .to_fail("over the cap of ¥600.00 set by scripts/city/policy.lua")
  end)
end)
