-- Argo CD health check for microvm-operator.io/MicroVM (Lua 5.1, as Argo CD runs it).
-- Follows the operator's kstatus conditions (docs/api.md#conditions):
--   status not yet of this generation    -> Progressing
--   spec.suspend                         -> Suspended
--   Stalled=True                         -> Degraded  (only a change of spec, host or flake helps)
--   Ready=True (Running or Stopped)      -> Healthy   (a VM stopped on purpose is Healthy)
--   Ready=False, reason AwaitingApproval -> Suspended (updateStrategy: Plan; a person approves)
--   Reconciling=True                     -> Progressing
local hs = {}

local function condition(conditionType)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function describe(c)
  return (c.reason or "") .. ": " .. (c.message or "")
end

if obj.status == nil or obj.status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to see this MicroVM"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to process generation " .. generation
    .. " (the status is of generation " .. obj.status.observedGeneration .. ")"
  return hs
end
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: the operator does not reconcile this MicroVM"
  return hs
end
local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
if ready ~= nil and ready.status == "False" and ready.reason == "AwaitingApproval" then
  hs.status = "Suspended"
  hs.message = describe(ready)
  return hs
end
local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
  return hs
end
hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the Ready condition"
end
return hs
