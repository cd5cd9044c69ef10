-- Argo CD health check for microvm-operator.io/MicroVMHost (Lua 5.1, as Argo CD runs it: from
-- argocd-cm without useOpenLibs, so only the base, table and package libraries; no string or math).
-- Follows the host's kstatus conditions (docs/api.md#microvmhost-conditions):
--   status not yet of this generation    -> Progressing
--   spec.suspend                         -> Suspended
--   Stalled=True                         -> Degraded    (key mismatch, no key, Secret missing,
--                                                        login refused, unreachable for long)
--   Reconciling=True                     -> Progressing (first probe, unreachable for now)
--   Ready=True                           -> Healthy
-- Argo CD itself shows "Progressing / Pending deletion" for a host being deleted.
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
  hs.message = "Waiting for the first probe of this host"
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
  hs.message = "spec.suspend is true: the host is not probed and nothing is deployed to it"
  return hs
end
local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end
local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
  return hs
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
  return hs
end
hs.status = "Progressing"
if ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the first probe of this host"
end
return hs
