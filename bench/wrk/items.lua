-- GET the URL's path followed by a random item id from BENCH_FIRST_ID to BENCH_LAST_ID,
-- so that the database reads rows from all over the table, not one cached row. The ids
-- come from LuaJIT's unseeded generator: every run and scenario asks for the same ones.
local kit = require("kit")

local first = tonumber(os.getenv("BENCH_FIRST_ID"))
local last = tonumber(os.getenv("BENCH_LAST_ID"))
local headers = kit.headers()

function request()
  return wrk.format("GET", wrk.path .. math.random(first, last), headers)
end

done = kit.done
