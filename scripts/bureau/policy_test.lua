-- Tests for the bureau's policy (scripts/bureau/policy.lua). Run: warmth test scripts/bureau
local t = require "warmth.test"
local w = require "warmth"
local policy = require "policy"
local household, yuan = t.household, w.yuan

-- The fixture's household called `name` (its names are unique), for decisions on real rows.
t.cases(policy, "the four kinds, each 1000 yuan per household") {
  { "a 低保 household gets 1000 yuan as 低保员工",
    household { "低保" }, pays = yuan(1000), category = "低保员工", kind = "cash", reason = "低保员工家庭" },
  { "a registered needy household (在档困难职工) gets 1000 yuan as 困难员工",
    household { "在档困难职工" }, pays = yuan(1000), category = "困难员工", kind = "cash", reason = "建档在册的困难员工" },
  { "a household with the cause 大病 gets 1000 yuan as 大病员工家庭",
    household { causes = { "大病" } }, pays = yuan(1000), category = "大病员工家庭", kind = "cash" },
  { "a household with the cause 因病 gets 1000 yuan as 大病员工家庭 too",
    household { causes = { "因病" } }, pays = yuan(1000), category = "大病员工家庭" },
  { "a household with the cause 意外事故 gets 1000 yuan as 意外伤害和灾害员工家庭",
    household { causes = { "意外事故" } }, pays = yuan(1000), category = "意外伤害和灾害员工家庭", kind = "cash" },
  { "a household with the cause 因灾 gets 1000 yuan as 意外伤害和灾害员工家庭",
    household { causes = { "因灾" } }, pays = yuan(1000), category = "意外伤害和灾害员工家庭" },
  { "a household with the cause 工伤 (a work injury is an accidental injury) gets 1000 yuan as 意外伤害和灾害员工家庭",
    household { causes = { "工伤" } }, pays = yuan(1000), category = "意外伤害和灾害员工家庭" },
}

t.cases(policy, "households the bureau does not visit") {
  { "a household in no category and with no cause gets nothing", household {}, pays = 0 },
  { "a household whose only causes are 因残, 子女就学, 单亲, 下岗失业 and 其他 gets nothing",
    household { causes = { "因残", "子女就学", "单亲", "下岗失业", "其他" } }, pays = 0 },
  { "a 残疾 household that is neither 低保 nor on file gets nothing", household { "残疾", causes = { "因残" } }, pays = 0 },
  { "a worker of a distressed enterprise with 下岗失业 only gets nothing", household { "困难企业职工", causes = { "下岗失业" } }, pays = 0 },
  { "a community-verified needy household (社区核实困难) with 子女就学 only gets nothing",
    household { "社区核实困难", causes = { "子女就学" } }, pays = 0 },
  { "a 劳动模范 gets nothing", household { "劳动模范" }, pays = 0 },
}

t.cases(policy, "a household of several kinds is paid once, under the first kind in the plan's order") {
  { "a 低保 household that is also on file is paid 1000 yuan once, as 低保员工",
    household { "在档困难职工", "低保" }, pays = yuan(1000), category = "低保员工" },
  { "a 低保 household with 大病 and 工伤 is paid 1000 yuan once, as 低保员工",
    household { "低保", causes = { "大病", "工伤" } }, pays = yuan(1000), category = "低保员工" },
  { "a registered household with 大病 is paid 1000 yuan once, as 困难员工",
    household { "在档困难职工", causes = { "大病" } }, pays = yuan(1000), category = "困难员工" },
  { "a registered household with 因灾 is paid 1000 yuan once, as 困难员工",
    household { "在档困难职工", causes = { "因灾" } }, pays = yuan(1000), category = "困难员工" },
  { "a household with both 因病 and 意外事故 is paid 1000 yuan once, as 大病员工家庭",
    household { causes = { "意外事故", "因病" } }, pays = yuan(1000), category = "大病员工家庭" },
  { "all four kinds at once still make one payout of 1000 yuan, as 低保员工",
    household { "在档困难职工", "低保", causes = { "大病", "因病", "意外事故", "因灾", "工伤" } },
    pays = yuan(1000), category = "低保员工" },
}

t.describe("members and income", function()
  t.it("every kind pays 1000 yuan per household, never times the members: the same for 1 member and for 20", function()
    for _, spec in ipairs {
      { "低保" }, { "在档困难职工" }, { causes = { "大病" } }, { causes = { "工伤" } },
    } do
      spec.members = 1
      t.expect(t.decide(policy, household(spec))).to_pay(yuan(1000))
      spec.members = 20
      t.expect(t.decide(policy, household(spec))).to_pay(yuan(1000))
    end
  end)
  t.it("the bureau has no income line: a 大病 household is paid at an income of 0 and of 10,000 yuan", function()
    t.expect(t.decide(policy, household { causes = { "大病" }, income = 0 })).to_pay(yuan(1000))
    t.expect(t.decide(policy, household { causes = { "大病" }, income = yuan(10000) })).to_pay(yuan(1000))
  end)
end)

t.describe("live and closed files (依档帮扶)", function()
  t.it("a 临时救助 file is live and is paid like a 正式 one", function()
    t.expect(t.decide(policy, household { "低保", file_status = "临时救助" })).to_pay(yuan(1000))
    t.expect(t.decide(policy, household { causes = { "因灾" }, file_status = "临时救助" })).to_pay(yuan(1000))
  end)
  t.it("a closed file (注销) gets nothing, whatever its kind", function()
    t.expect(t.decide(policy, household { "低保", file_status = "注销" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "注销" })).to_pay_nothing()
    t.expect(t.decide(policy, household { causes = { "大病" }, file_status = "注销" })).to_pay_nothing()
    t.expect(t.decide(policy, household { causes = { "工伤" }, file_status = "注销" })).to_pay_nothing()
  end)
  t.it("a file out of hardship (脱困) is not a 困难员工 any more and gets nothing, whatever its kind", function()
    t.expect(t.decide(policy, household { "低保", file_status = "脱困" })).to_pay_nothing()
    t.expect(t.decide(policy, household { "在档困难职工", file_status = "脱困" })).to_pay_nothing()
    t.expect(t.decide(policy, household { causes = { "因病" }, file_status = "脱困" })).to_pay_nothing()
    t.expect(t.decide(policy, household { causes = { "意外事故" }, file_status = "脱困" })).to_pay_nothing()
  end)
end)

t.describe("what-if: a changed standard", function()
  t.it("a standard of 1200 yuan pays 1200 to each of the four kinds", function()
    local params = { standard = yuan(1200) }
    local p = t.decide(policy, household { "低保" }, params)
    t.expect(p).to_pay(yuan(1200))
    t.expect(p).to_be_in("低保员工")
    p = t.decide(policy, household { "在档困难职工" }, params)
    t.expect(p).to_pay(yuan(1200))
    t.expect(p).to_be_in("困难员工")
    p = t.decide(policy, household { causes = { "大病" } }, params)
    t.expect(p).to_pay(yuan(1200))
    t.expect(p).to_be_in("大病员工家庭")
    p = t.decide(policy, household { causes = { "意外事故" } }, params)
    t.expect(p).to_pay(yuan(1200))
    t.expect(p).to_be_in("意外伤害和灾害员工家庭")
  end)
  t.it("a changed standard still pays nothing to a household of no kind", function()
    t.expect(t.decide(policy, household { causes = { "子女就学" } }, { standard = yuan(1200) })).to_pay_nothing()
  end)
end)

t.describe("the fixture dataset", function()
  local households = t.fixture("../fixtures/households.csv")

  -- Worked out by hand in scripts/fixtures/EXPECTED.md §3 (all 33 rows; row numbers as there).
  -- Every payout is 1000, whatever the members (#14 has 1, #13 and #15 have 20):
  --   低保员工               #13 #14 #15 #19 (#19 also 在档; #13 also 因病/因灾)   4 × 1000 = 4000
  --   困难员工               #1 #2 #3 #4 #29 #32                                  6 × 1000 = 6000
  --   大病员工家庭           #9 #10 #12 (因病) #16 (大病)                         4 × 1000 = 4000
  --   意外伤害和灾害员工家庭 #11 (因灾) #17 (意外事故) #18 (工伤)                 3 × 1000 = 3000
  --   #20 is 低保 with 大病 but 脱困, #21 注销: nothing. 17 人次, 17 × 1000 = 17000 yuan.
  -- By unit, from the same rows:
  --   S220 #4 #9 #10 #11 #12 #13 = 6     S210 #14 #15 #16 #17 #18 #19 = 6
  --   S110 #1 #2 = 2   S230 #3 = 1   S240 #29 = 1   S130 #32 = 1   S120 nothing (#20 脱困)
  --   6 + 6 + 2 + 1 + 1 + 1 = 17.
  t.it("pays 17 households 1,000 yuan each, 17,000 yuan in all", function()
    local plan = t.run(policy, households)
    t.expect_totals(plan, {
      total = yuan(17000), count = 17, exactly = true,
      by_category = {
        ["低保员工"] = { count = 4, amount = yuan(4000) },
        ["困难员工"] = { count = 6, amount = yuan(6000) },
        ["大病员工家庭"] = { count = 4, amount = yuan(4000) },
        ["意外伤害和灾害员工家庭"] = { count = 3, amount = yuan(3000) },
      },
      by_unit = {
        S220 = { count = 6, amount = yuan(6000) },
        S210 = { count = 6, amount = yuan(6000) },
        S110 = { count = 2, amount = yuan(2000) },
        S230 = { count = 1, amount = yuan(1000) },
        S240 = { count = 1, amount = yuan(1000) },
        S130 = { count = 1, amount = yuan(1000) },
        S120 = { count = 0, amount = 0 },
      },
    })
  end)

  t.it("decides the fixture's boundary rows as EXPECTED.md says", function()
    -- #13 马娟: 20 members, 社区核实困难 and 低保, causes include 因病 and 因灾 → 低保员工, 1000.
    local p = t.decide(policy, t.find(households, "马娟"))
    t.expect(p).to_pay(yuan(1000))
    t.expect(p).to_be_in("低保员工")
    -- #19 林春梅: 在档 and 低保 on a 临时救助 file → 低保员工.
    p = t.decide(policy, t.find(households, "林春梅"))
    t.expect(p).to_pay(yuan(1000))
    t.expect(p).to_be_in("低保员工")
    -- #20 罗志强: 低保 with 大病, but 脱困 → nothing.
    t.expect(t.decide(policy, t.find(households, "罗志强"))).to_pay_nothing()
    -- #5 陈强: 困难企业职工 with 下岗失业 only → nothing.
    t.expect(t.decide(policy, t.find(households, "陈强"))).to_pay_nothing()
  end)

  -- What-if over the fixture: standard = 800. The same 17 households, 17 × 800 = 13600 yuan.
  t.it("with a standard of 800 yuan the same 17 households cost 13,600 yuan", function()
    local plan = t.run(policy, households, { standard = yuan(800) })
    t.expect_totals(plan, {
      total = yuan(13600), count = 17,
      by_category = { ["困难员工"] = { count = 6, amount = yuan(4800) } },
    })
  end)
end)
