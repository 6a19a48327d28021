-- 学校工会 春节慰问 (a school union's Spring Festival greetings and relief)
--
-- Follows shared/seeds/000 篇6 (学院“送温暖、办实事、促发展”新年慰问):
--   离休干部、县处级及以上退休干部、特级教师、退伍复员转业军人、军烈属: 人均100元 (上门或分校区慰问)
--   全体离退休人员: 春节慰问金100元 (from the retirees' budget, on top of the above)
-- and shared/seeds/004 总结11 (a school union's 送温暖 summary):
--   因患大病或长期慢性病、医疗支出过大的困难教职工 (重病人员): 均给予500元慰问金
--   其他困难教职工: the summary gives only a total (18户, 4700元); 200元 is this school's own standard
--
-- One payout per household; the first rule that matches wins:
--   1. 在档困难职工 with 大病 or 因病 → 重病教职工 500. Relief comes before honours: a sick needy
--      teacher who is also 军烈属 gets 500, not 100.
--   2. other 在档困难职工 → 困难教职工 200.
--   3. the honoured (离休干部, 退休干部, 特级教师, 退役军人, 军烈属) → 100 per honoured person, once,
--      however many of these titles they hold; reported under the first title in that order.
--      A retiree among them (离休干部 and 退休干部 are retirees; others when also 离退休人员) also
--      gets the retirees' 100 in the same payout, as 篇6 gives both: 200 in all.
--   4. other 离退休人员 → 离退休人员 100.
-- “Per person” means per honoured person, the household's head on the register, never times the
-- household's members. 退休干部 here means 县处级及以上退休干部; other retirees are 离退休人员.
-- Only live files (正式, 临时救助) are paid: 依档帮扶.
local w = require "warmth"

local honours = { "离休干部", "退休干部", "特级教师", "退役军人", "军烈属" }

return w.policy {
  name = "学校工会春节慰问",
  params = {
    sick = w.yuan(500),    -- 重病困难教职工, per household (004 总结11)
    needy = w.yuan(200),   -- other 困难教职工, per household (this school's own standard)
    honour = w.yuan(100),  -- 离休干部、县处级及以上退休干部、特级教师、退役军人、军烈属, per honoured person (000 篇6)
    retiree = w.yuan(100), -- 离退休人员春节慰问金, per retiree (000 篇6)
  },

  decide = function(h, p)
    if not h.live then return nil end

    if h:is "在档困难职工" then
      if h:has "大病" or h:has "因病" then
        return w.pay(p.sick, "重病教职工", "因病致困的困难教职工，重病慰问金")
      end
      return w.pay(p.needy, "困难教职工", "建档在册的困难教职工")
    end

    local retired = h:is "离退休人员" or h:is "离休干部" or h:is "退休干部"
    for _, title in ipairs(honours) do
      if h:is(title) then
        if retired then
          return w.pay(p.honour + p.retiree, title, title .. "慰问，另加离退休人员春节慰问金")
        end
        return w.pay(p.honour, title, title .. "慰问")
      end
    end

    if retired then
      return w.pay(p.retiree, "离退休人员", "离退休人员春节慰问金")
    end
    return nil
  end,
}
