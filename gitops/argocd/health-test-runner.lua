-- Runs Argo CD health checks the way Argo CD does, with Debian's Lua 5.1 and lyaml:
--
--   lua5.1 health-test-runner.lua DIR...
--     for each DIR (a resource_customizations/GROUP/KIND folder), runs health.lua against every
--     object its health_test.yaml lists and compares status and message; prints one line per
--     test and "N passed, N failed"; exits 1 when any failed.
--   lua5.1 health-test-runner.lua --check DIR OBJECT.yaml
--     prints the status and the message (tab-separated) that DIR/health.lua gives OBJECT.yaml.
--
-- health.lua runs as Argo CD runs it: a chunk with the global obj (the resource), returning a
-- table with status and message, with only Lua's safe libraries in reach (no io, os, require).
local lyaml = require("lyaml")

local function read(path)
  local file = assert(io.open(path, "r"))
  local text = file:read("*a")
  file:close()
  return text
end

-- lyaml loads YAML null as a sentinel; Argo CD's objects have no such value, just absent fields.
local function withoutNulls(value)
  if value == lyaml.null then
    return nil
  end
  if type(value) == "table" then
    for key, item in pairs(value) do
      value[key] = withoutNulls(item)
    end
  end
  return value
end

local function health(dir, object)
  local script = assert(loadfile(dir .. "/health.lua"))
  setfenv(script, {
    obj = object,
    ipairs = ipairs, pairs = pairs, next = next, type = type, select = select,
    tostring = tostring, tonumber = tonumber, error = error, pcall = pcall, unpack = unpack,
    string = string, table = table, math = math,
  })
  local hs = script()
  if type(hs) ~= "table" then
    error(dir .. "/health.lua returned " .. type(hs) .. ", not a table")
  end
  return hs
end

local function loadObject(path)
  return withoutNulls(lyaml.load(read(path)))
end

if arg[1] == "--check" then
  local hs = health(arg[2], loadObject(arg[3]))
  print(tostring(hs.status) .. "\t" .. tostring(hs.message))
  os.exit(0)
end

local passed, failed = 0, 0
for _, dir in ipairs(arg) do
  local tests = lyaml.load(read(dir .. "/health_test.yaml")).tests
  for _, test in ipairs(tests) do
    local ok, hs = pcall(function()
      return health(dir, loadObject(dir .. "/" .. test.inputPath))
    end)
    local want = test.healthStatus
    if ok and hs.status == want.status and hs.message == want.message then
      passed = passed + 1
      print("ok    " .. dir .. "/" .. test.inputPath .. ": " .. want.status)
    else
      failed = failed + 1
      local got = ok and (tostring(hs.status) .. " / " .. tostring(hs.message)) or ("error: " .. tostring(hs))
      print("FAIL  " .. dir .. "/" .. test.inputPath)
      print("      want " .. want.status .. " / " .. want.message)
      print("      got  " .. got)
    end
  end
end
print(passed .. " passed, " .. failed .. " failed")
os.exit(failed == 0 and 0 or 1)
