-- wrk script: POST /v1/match with one PDQ hash per request, drawn at random from $QUERIES.
local hashes = {}
for line in io.lines(os.getenv("QUERIES")) do
  hashes[#hashes + 1] = line
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("KEY")

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
end

function request()
  local h = hashes[math.random(#hashes)]
  return wrk.format(nil, "/v1/match", nil, '{"hashes":[{"type":"pdq","value":"' .. h .. '"}]}')
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end
