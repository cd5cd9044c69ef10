-- Argo CD health check for microvm-operator.io/MicroVMHost (Lua 5.1, as Argo CD runs it).
-- A host has no Reconciling or Stalled condition; its Ready condition says whether the last
-- probe reached it with a pinned host key (docs/api.md#microvmhost-conditions):
--   status not yet of this generation    -> Progressing
--   spec.suspend                         -> Suspended
--   Ready=True                           -> Healthy
--   Ready=False (unreachable, wrong key, no key, no Secret) -> Degraded
local hs = {}

local ready = nil
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    end
  end
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
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
  return hs
end
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the first probe of this host"
return hs
