-- POST the URL with the JSON body of BENCH_LOGIN_BODY: a login with the right password.
local kit = require("kit")

wrk.method = "POST"
wrk.body = os.getenv("BENCH_LOGIN_BODY")
wrk.headers["Content-Type"] = "application/json"

done = kit.done
