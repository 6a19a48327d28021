-- Tests for the city federation's policy (scripts/city/policy.lua). Run: warmth test scripts/city
local t = require "warmth.test"
local w = require "warmth"
local policy = require "policy"
local household, yuan = t.household, w.yuan

t.cases(policy, "市总工会 standards") {
  { "a registered needy household (在档困难职工) gets 600 yuan", household { "在档困难职工" }, pays = yuan(600), category = "特困职工家庭" },
  { "a distressed-enterprise worker's household gets 300 yuan", household { "困难企业职工" }, pays = yuan(300), category = "困难企业职工" },
  { "a returning migrant worker gets a 300 yuan ticket subsidy", household { "返乡农民工" }, pays = yuan(300), kind = "ticket" },
  { "a front-line worker on duty gets 200 yuan", household { "一线坚守职工", members = 5 }, pays = yuan(200) },
  { "a household in no category gets nothing", household {}, pays = 0 },
  { "a closed file (注销) gets nothing, even when registered", household { "在档困难职工", file_status = "注销" }, pays = 0 },
}

t.describe("community-verified needy (社区核实困难)", function()
  t.it("gets 300 yuan with one hardship cause", function()
    t.expect(t.decide(policy, household { "社区核实困难", causes = { "因病" } })).to_pay(yuan(300))
  end)
  t.it("gets 100 more per further cause, up to the 500 yuan cap", function()
    t.expect(t.decide(policy, household { "社区核实困难", causes = { "因病", "因残" } })).to_pay(yuan(400))
    t.expect(t.decide(policy, household { "社区核实困难", causes = { "因病", "因残", "因灾", "单亲" } })).to_pay(yuan(500))
  end)
  t.it("follows a changed cap", function()
    local h = household { "社区核实困难", causes = { "因病", "因残", "因灾" } }
    t.expect(t.decide(policy, h, { discretionary_max = yuan(450) })).to_pay(yuan(450))
  end)
end)

t.describe("the fixture dataset", function()
  -- Worked out by hand in scripts/fixtures/EXPECTED.md: 16 payouts, 7,500 yuan.
  t.it("pays 7 registered households 4,200 yuan and 7,500 yuan in all", function()
    local plan = t.run(policy, t.fixture("../fixtures/households.csv"))
    t.expect_totals(plan, {
      total = yuan(7500), count = 16, exactly = true,
      by_category = {
        ["特困职工家庭"] = { count = 7, amount = yuan(4200) },
        ["困难企业职工"] = { count = 1, amount = yuan(300) },
        ["返乡农民工"] = { count = 2, amount = yuan(600) },
        ["一线坚守职工"] = { count = 1, amount = yuan(200) },
        ["非建档困难职工"] = { count = 5, amount = yuan(2200) },
      },
    })
  end)

  -- By unit, worked out by hand from scripts/fixtures/households.csv (row numbers as in EXPECTED.md):
  --   S110 #1 600 (在档) + #2 600 (在档) + #6 200 (一线) + #8 300 (返乡, also 一线)   = 1700, 4 人次
  --   S230 #3 600 (在档, also 困难企业) + #5 300 (困难企业) + #7 300 (返乡)          = 1200, 3 人次
  --   S220 #4 600 (在档) + #9 300 + #10 400 + #11 500 + #12 500 + #13 500 (社区核实) = 2800, 6 人次
  --   S210 #19 600 (在档, 临时救助); #14–#18 are in no category the city pays       =  600, 1 人次
  --   S240 #29 600 (在档); #23 #25 #27 nothing                                      =  600, 1 人次
  --   S130 #32 600 (在档); #33 劳动模范 nothing                                     =  600, 1 人次
  --   S120 #20 (脱困) #22 #24 #26 #28: nothing                                       =    0, 0 人次
  --   4 + 3 + 6 + 1 + 1 + 1 = 16 人次; 1700 + 1200 + 2800 + 600 + 600 + 600 = 7500 yuan.
  t.it("pays each unit's households as worked out by hand, 2,800 yuan of it to 6 households of S220", function()
    local plan = t.run(policy, t.fixture("../fixtures/households.csv"))
    t.expect_totals(plan, {
      exactly = true,
      by_unit = {
        S110 = { count = 4, amount = yuan(1700) },
        S230 = { count = 3, amount = yuan(1200) },
        S220 = { count = 6, amount = yuan(2800) },
        S210 = { count = 1, amount = yuan(600) },
        S240 = { count = 1, amount = yuan(600) },
        S130 = { count = 1, amount = yuan(600) },
        S120 = { count = 0, amount = 0 },
      },
    })
  end)
end)
