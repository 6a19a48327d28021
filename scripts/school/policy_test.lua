-- Tests for the school union's policy (scripts/school/policy.lua). Run: warmth test scripts/school
local t = require "warmth.test"
local w = require "warmth"
local policy = require "policy"
local household, yuan = t.household, w.yuan

-- The fixture's household called `name` (its names are unique), for decisions on real rows.
t.cases(policy, "rule 1: seriously ill registered staff (重病教职工)") {
  { "a registered household with the cause 大病 gets 500 yuan as 重病教职工",
    household { "在档困难职工", causes = { "大病" } }, pays = yuan(500), category = "重病教职工", kind = "cash" },
  { "a registered household with the cause 因病 gets 500 yuan as 重病教职工 too",
    household { "在档困难职工", causes = { "因病" } }, pays = yuan(500), category = "重病教职工" },
  { "a registered household with both 大病 and 因病 still gets one payout of 500 yuan",
    household { "在档困难职工", causes = { "大病", "因病", "子女就学" } }, pays = yuan(500), category = "重病教职工" },
  { "a household with 大病 that is not on file (在档) gets nothing from the relief rules",
    household { causes = { "大病" } }, pays = 0 },
}

t.cases(policy, "rule 2: other registered needy staff (困难教职工)") {
  { "a registered household with no illness gets 200 yuan as 困难教职工",
    household { "在档困难职工", causes = { "子女就学" } }, pays = yuan(200), category = "困难教职工", kind = "cash" },
  { "a registered household with no hardship cause at all gets 200 yuan",
    household { "在档困难职工" }, pays = yuan(200), category = "困难教职工" },
  { "a registered household with 因残 (not an illness) gets 200 yuan, not 500",
    household { "在档困难职工", causes = { "因残", "下岗失业" } }, pays = yuan(200), category = "困难教职工" },
}

t.cases(policy, "rule 3: honoured staff, each title alone") {
  { "a 离休干部 is a retiree by definition and gets 100 + 100 = 200 yuan",
    household { "离休干部" }, pays = yuan(200), category = "离休干部" },
  { "a 退休干部 is a retiree by definition and gets 100 + 100 = 200 yuan",
    household { "退休干部" }, pays = yuan(200), category = "退休干部" },
  { "a 特级教师 who is not retired gets 100 yuan",
    household { "特级教师" }, pays = yuan(100), category = "特级教师" },
  { "a 退役军人 who is not retired gets 100 yuan",
    household { "退役军人" }, pays = yuan(100), category = "退役军人" },
  { "a 军烈属 household that is not retired gets 100 yuan",
    household { "军烈属" }, pays = yuan(100), category = "军烈属" },
  { "a retired 特级教师 (also 离退休人员) gets 100 + 100 = 200 yuan",
    household { "特级教师", "离退休人员" }, pays = yuan(200), category = "特级教师" },
  { "a retired 退役军人 (also 离退休人员) gets 100 + 100 = 200 yuan",
    household { "退役军人", "离退休人员" }, pays = yuan(200), category = "退役军人" },
  { "a retired 军烈属 (also 离退休人员) gets 100 + 100 = 200 yuan",
    household { "军烈属", "离退休人员" }, pays = yuan(200), category = "军烈属" },
  { "a 退休干部 also tagged 离退休人员 gets the retirees' 100 once: 200 yuan, not 300",
    household { "退休干部", "离退休人员" }, pays = yuan(200), category = "退休干部" },
}

t.cases(policy, "rule 3: several honours are paid once, under the first title in the policy's order") {
  { "a 特级教师 who is also 退役军人 gets 100 yuan once, reported as 特级教师",
    household { "特级教师", "退役军人" }, pays = yuan(100), category = "特级教师" },
  { "a 退役军人 who is also 军烈属 gets 100 yuan once, reported as 退役军人",
    household { "军烈属", "退役军人" }, pays = yuan(100), category = "退役军人" },
  { "a 离休干部 who is also 特级教师 gets 200 yuan once, reported as 离休干部",
    household { "特级教师", "离休干部" }, pays = yuan(200), category = "离休干部" },
  { "a 退休干部 who is also 军烈属 and 退役军人 gets 200 yuan once, reported as 退休干部",
    household { "军烈属", "退役军人", "退休干部" }, pays = yuan(200), category = "退休干部" },
  { "all five honours at once still make one payout of 200 yuan, reported as 离休干部",
    household { "军烈属", "退役军人", "特级教师", "退休干部", "离休干部" }, pays = yuan(200), category = "离休干部" },
}

t.cases(policy, "rule 4: other retirees (离退休人员)") {
  { "a retiree with no honour gets the 100 yuan festival payment as 离退休人员",
    household { "离退休人员" }, pays = yuan(100), category = "离退休人员", kind = "cash" },
}

t.cases(policy, "households the policy does not pay") {
  { "a household in no category gets nothing", household {}, pays = 0 },
  { "a 劳动模范 (not an honour this policy names) gets nothing", household { "劳动模范" }, pays = 0 },
  { "a 低保 household that is not on file gets nothing", household { "低保", causes = { "因病" } }, pays = 0 },
  { "a worker of a distressed enterprise gets nothing from the school", household { "困难企业职工" }, pays = 0 },
  { "a front-line worker gets nothing from the school", household { "一线坚守职工" }, pays = 0 },
}

t.describe("a household in two categories", function()
  t.it("relief comes before honours: a registered, seriously ill 军烈属 gets 500 yuan as 重病教职工, not 100", function()
    local p = t.decide(policy, household { "在档困难职工", "军烈属", causes = { "大病" } })
    t.expect(p).to_pay(yuan(500))
    t.expect(p).to_be_in("重病教职工")
  end)
  t.it("a registered needy 离休干部 without illness is paid 200 yuan as 困难教职工, not as 离休干部", function()
    local p = t.decide(policy, household { "在档困难职工", "离休干部" })
    t.expect(p).to_pay(yuan(200))
    t.expect(p).to_be_in("困难教职工")
  end)
  t.it("a registered needy retiree gets 200 yuan as 困难教职工, not the retirees' 100", function()
    local p = t.decide(policy, household { "在档困难职工", "离退休人员" })
    t.expect(p).to_pay(yuan(200))
    t.expect(p).to_be_in("困难教职工")
  end)
  t.it("the reason says when the retirees' payment is added to an honour", function()
    t.expect(t.decide(policy, household { "军烈属", "离退休人员" })).to_give_reason("军烈属慰问，另加离退休人员春节慰问金")
    t.expect(t.decide(policy, household { "军烈属" })).to_give_reason("^军烈属慰问$")
  end)
end)

t.describe("members and income", function()
  t.it("an honour is per honoured person: 100 yuan for a household of 1 and of 20 alike", function()
    t.expect(t.decide(policy, household { "特级教师", members = 1 })).to_pay(yuan(100))
    t.expect(t.decide(policy, household { "特级教师", members = 20 })).to_pay(yuan(100))
  end)
  t.it("an honoured retiree gets 200 yuan whether the household has 1 member or 20", function()
    t.expect(t.decide(policy, household { "离休干部", members = 1 })).to_pay(yuan(200))
    t.expect(t.decide(policy, household { "离休干部", members = 20 })).to_pay(yuan(200))
  end)
  t.it("relief is per household: 500 and 200 yuan whether the household has 1 member or 20", function()
    t.expect(t.decide(policy, household { "在档困难职工", members = 1, causes = { "大病" } })).to_pay(yuan(500))
    t.expect(t.decide(policy, household { "在档困难职工", members = 20, causes = { "大病" } })).to_pay(yuan(500))
    t.expect(t.decide(policy, household { "在档困难职工", members = 1 })).to_pay(yuan(200))
    t.expect(t.decide(policy, household { "在档困难职工", members = 20 })).to_pay(yuan(200))
  end)
  t.it("the school has no income line: a registered household is paid at an income of 0 and of 10,000 yuan", function()
    t.expect(t.decide(policy, household { "在档困难职工", income = 0 })).to_pay(yuan(200))
    t.expect(t.decide(policy, household { "在档困难职工", income = yuan(10000) })).to_pay(yuan(200))
    t.expect(t.decide(policy, household { "离退休人员", income = yuan(10000) })).to_pay(yuan(100))
  end)
end)

t.describe("live and closed files (依档帮扶)", function()
  t.it("a 临时救助 file is live and is paid like a 正式 one", function()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "临时救助", causes = { "大病" } })).to_pay(yuan(500))
    t.expect(t.decide(policy, household { "退役军人", file_status = "临时救助" })).to_pay(yuan(100))
  end)
  t.it("a closed file (注销) gets nothing, whether needy, honoured or retired", function()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "注销", causes = { "大病" } })).to_pay_nothing()
    t.expect(t.decide(policy, household { "离休干部", file_status = "注销" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "离退休人员", file_status = "注销" })).to_pay_nothing()
  end)
  t.it("a file out of hardship (脱困) gets nothing, whether needy, honoured or retired", function()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "脱困" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "退役军人", file_status = "脱困" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "离退休人员", file_status = "脱困" })).to_pay_nothing()
  end)
end)

t.describe("what-if: changed standards", function()
  t.it("a sick standard of 600 yuan pays 600 to the seriously ill and leaves the other needy at 200", function()
    local params = { sick = yuan(600) }
    t.expect(t.decide(policy, household { "在档困难职工", causes = { "因病" } }, params)).to_pay(yuan(600))
    t.expect(t.decide(policy, household { "在档困难职工" }, params)).to_pay(yuan(200))
  end)
  t.it("a needy standard of 300 yuan pays 300 to the other needy and leaves the sick at 500", function()
    local params = { needy = yuan(300) }
    t.expect(t.decide(policy, household { "在档困难职工" }, params)).to_pay(yuan(300))
    t.expect(t.decide(policy, household { "在档困难职工", causes = { "大病" } }, params)).to_pay(yuan(500))
  end)
  t.it("an honour of 150 yuan pays 150 to a serving honoured person and 250 to a retired one", function()
    local params = { honour = yuan(150) }
    t.expect(t.decide(policy, household { "特级教师" }, params)).to_pay(yuan(150))
    t.expect(t.decide(policy, household { "离休干部" }, params)).to_pay(yuan(250))
    t.expect(t.decide(policy, household { "离退休人员" }, params)).to_pay(yuan(100))
  end)
  t.it("a retirees' payment of 120.50 yuan is added to honoured retirees and paid alone to other retirees", function()
    local params = { retiree = yuan("120.50") }
    t.expect(t.decide(policy, household { "离退休人员" }, params)).to_pay(yuan("120.50"))
    t.expect(t.decide(policy, household { "军烈属", "离退休人员" }, params)).to_pay(yuan("220.50"))
    t.expect(t.decide(policy, household { "军烈属" }, params)).to_pay(yuan(100))
  end)
end)

t.describe("the fixture dataset", function()
  local households = t.fixture("../fixtures/households.csv")

  -- Worked out by hand in scripts/fixtures/EXPECTED.md §2 (all 33 rows; row numbers as there):
  --   重病教职工  #1 (因病) #2 #29 #32 (大病)             4 × 500       = 2000
  --   困难教职工  #3 #4 #19                              3 × 200       =  600
  --   离休干部    #22                                    100 + 100     =  200
  --   退休干部    #23 (also 离退休人员)                  100 + 100     =  200
  --   特级教师    #24 (also 退役军人, not retired)       100 once      =  100
  --   退役军人    #25 (#20 is 退役军人 but 脱困)          100           =  100
  --   军烈属      #26 (also 离退休人员)                  100 + 100     =  200
  --   离退休人员  #27 #28                                2 × 100       =  200
  --   14 人次, 2000 + 600 + 200 + 200 + 100 + 100 + 200 + 200 = 3600 yuan.
  -- By unit, from the same rows:
  --   S110 #1 #2 = 500 + 500 = 1000 (2)        S130 #32 = 500 (1)
  --   S240 #29 #23 #25 #27 = 500 + 200 + 100 + 100 = 900 (4)
  --   S120 #22 #24 #26 #28 = 200 + 100 + 200 + 100 = 600 (4)
  --   S230 #3 = 200 (1)   S220 #4 = 200 (1)   S210 #19 = 200 (1)
  --   2 + 1 + 4 + 4 + 1 + 1 + 1 = 14; 1000 + 500 + 900 + 600 + 200 + 200 + 200 = 3600.
  t.it("pays 14 person-times 3,600 yuan in all, 2,000 of it to 4 seriously ill staff", function()
    local plan = t.run(policy, households)
    t.expect_totals(plan, {
      total = yuan(3600), count = 14, exactly = true,
      by_category = {
        ["重病教职工"] = { count = 4, amount = yuan(2000) },
        ["困难教职工"] = { count = 3, amount = yuan(600) },
        ["离休干部"] = { count = 1, amount = yuan(200) },
        ["退休干部"] = { count = 1, amount = yuan(200) },
        ["特级教师"] = { count = 1, amount = yuan(100) },
        ["退役军人"] = { count = 1, amount = yuan(100) },
        ["军烈属"] = { count = 1, amount = yuan(200) },
        ["离退休人员"] = { count = 2, amount = yuan(200) },
      },
      by_unit = {
        S110 = { count = 2, amount = yuan(1000) },
        S130 = { count = 1, amount = yuan(500) },
        S240 = { count = 4, amount = yuan(900) },
        S120 = { count = 4, amount = yuan(600) },
        S230 = { count = 1, amount = yuan(200) },
        S220 = { count = 1, amount = yuan(200) },
        S210 = { count = 1, amount = yuan(200) },
      },
    })
  end)

  t.it("decides the fixture's boundary rows as EXPECTED.md says", function()
    -- #29 冯晓东: 在档, 大病, 军烈属 → relief first, 500.
    local p = t.decide(policy, t.find(households, "冯晓东"))
    t.expect(p).to_pay(yuan(500))
    t.expect(p).to_be_in("重病教职工")
    -- #24 谢振华: 特级教师 and 退役军人, not retired → 100 once, as 特级教师.
    p = t.decide(policy, t.find(households, "谢振华"))
    t.expect(p).to_pay(yuan(100))
    t.expect(p).to_be_in("特级教师")
    -- #20 罗志强: 退役军人, but 脱困 → nothing.
    t.expect(t.decide(policy, t.find(households, "罗志强"))).to_pay_nothing()
    -- #19 林春梅: 在档 on a 临时救助 file, cause 因灾 only → 200.
    p = t.decide(policy, t.find(households, "林春梅"))
    t.expect(p).to_pay(yuan(200))
    t.expect(p).to_be_in("困难教职工")
  end)

  -- What-if over the fixture: honour = 150. The 5 honour payouts (#22 #23 #24 #25 #26) each go up
  -- by 50: 3600 + 5 × 50 = 3850 yuan, still 14 人次; the relief and the plain retirees are unchanged.
  t.it("with an honour of 150 yuan the fixture costs 3,850 yuan, 250 more", function()
    local plan = t.run(policy, households, { honour = yuan(150) })
    t.expect_totals(plan, {
      total = yuan(3850), count = 14,
      by_category = {
        ["离休干部"] = { count = 1, amount = yuan(250) },
        ["特级教师"] = { count = 1, amount = yuan(150) },
        ["离退休人员"] = { count = 2, amount = yuan(200) },
      },
    })
  end)
end)
