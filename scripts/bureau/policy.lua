-- 局工委 春节走访慰问困难员工 (a bureau's working committee: Spring Festival visits)
--
-- Follows shared/seeds/000 篇5:
--   走访慰问的对象: 低保员工、困难员工、大病员工家庭、遭受意外伤害和灾害员工家庭
--   慰问金以每户1000元为标准发放
--
-- Every one of the four kinds gets the same 1000 per household (never times the members), once,
-- however many kinds the household is. It is reported under the first kind that matches, in the
-- plan's order:
--   低保员工                 the household is 低保
--   困难员工                 在档困难职工 (registered needy worker)
--   大病员工家庭             hardship cause 大病 or 因病
--   意外伤害和灾害员工家庭   hardship cause 意外事故, 因灾 or 工伤 (a work injury is an accidental injury)
-- Only live files (正式, 临时救助) are paid: a 注销 or 脱困 file is not a 困难员工 any more.
local w = require "warmth"

return w.policy {
  name = "局工委春节走访慰问困难员工",
  params = {
    standard = w.yuan(1000), -- every kind, per household (000 篇5)
  },

  decide = function(h, p)
    if not h.live then return nil end
    if h:is "低保" then
      return w.pay(p.standard, "低保员工", "低保员工家庭")
    end
    if h:is "在档困难职工" then
      return w.pay(p.standard, "困难员工", "建档在册的困难员工")
    end
    if h:has "大病" or h:has "因病" then
      return w.pay(p.standard, "大病员工家庭", "因病致困的员工家庭")
    end
    if h:has "意外事故" or h:has "因灾" or h:has "工伤" then
      return w.pay(p.standard, "意外伤害和灾害员工家庭", "遭受意外伤害或灾害的员工家庭")
    end
    return nil
  end,
}
