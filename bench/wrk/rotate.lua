-- GET the URL with the next of the tokens in BENCH_TOKENS_FILE (one a line) each time,
-- so that no token is seen twice before all the others have been. The requests are
-- formatted once, up front, to keep wrk's own cost per request as low as for one token.
local kit = require("kit")

local requests = {}
local sent = 0

function init(args)
  for token in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
    requests[#requests + 1] = wrk.format(nil, nil, { Authorization = "Bearer " .. token })
  end
end

function request()
  sent = sent % #requests + 1
  return requests[sent]
end

done = kit.done
