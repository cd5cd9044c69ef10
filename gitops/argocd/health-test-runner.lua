-- Runs Argo CD health checks the way Argo CD does, with Debian's Lua 5.1 and lyaml:
--
--   lua5.1 health-test-runner.lua DIR...
--     for each DIR (a resource_customizations/GROUP/KIND folder), runs health.lua against every
--     object its health_test.yaml lists and compares status and message; prints one line per
--     test and "N passed, N failed"; exits 1 when any failed.
--   lua5.1 health-test-runner.lua --check DIR OBJECT.yaml
--     prints the status and the message (tab-separated) that DIR/health.lua gives OBJECT.yaml.
--
-- health.lua runs as Argo CD runs a check installed through argocd-cm: a chunk with the global
-- obj (the resource), returning a table with status and message, with only the libraries Argo CD
-- opens (see argoEnvironment). Argo CD's own Lua VM runs the same tests in gitops/conformance.
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

-- What Argo CD's util/lua opens for a script from argocd-cm (no useOpenLibs), as
-- gitops/conformance proves with Argo CD's own Lua VM: the base library, table, and package with
-- a "safe os" (time and date) reached only through require("os"). No string, math, os, io or
-- debug, and strings have no methods (their metatable comes with the string library).
local BASE = {
  "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "print", "rawequal",
  "rawget", "rawset", "select", "setmetatable", "tonumber", "tostring", "type", "unpack",
  "xpcall", "_VERSION",
}

local function argoEnvironment(object)
  local env = { obj = object }
  for _, name in ipairs(BASE) do
    env[name] = _G[name]
  end
  env.table = {}
  for name, fn in pairs(table) do
    env.table[name] = fn
  end
  local safeOs = { time = os.time, date = os.date }
  env.package = { loaded = { os = safeOs } }
  env.require = function(name)
    if name == "os" then
      return safeOs
    end
    error("module '" .. tostring(name) .. "' not found")
  end
  env._G = env
  return env
end

local function health(dir, object)
  local script = assert(loadfile(dir .. "/health.lua"))
  setfenv(script, argoEnvironment(object))
  local stringMeta = debug.getmetatable("")
  debug.setmetatable("", nil)
  local ok, hs = pcall(script)
  debug.setmetatable("", stringMeta)
  if not ok then
    error(hs)
  end
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
