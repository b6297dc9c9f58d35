-- GET the URL, with the bearer token of BENCH_TOKEN when the kit gives one.
local kit = require("kit")

for name, value in pairs(kit.headers()) do
  wrk.headers[name] = value
end

done = kit.done
