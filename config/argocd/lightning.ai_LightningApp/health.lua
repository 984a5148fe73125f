-- Argo CD health check for lightning.ai/LightningApp (lightning-operator).
--
-- It reads the status the operator writes (docs/api.md, "Conditions") in
-- the order kstatus reads it, so Argo CD and Flux agree:
--   no status yet, or a generation the controller has not observed -> Progressing
--   Stalled=True: a secret that does not open (SecretNotReady), one
--     that broke after the app ran (LastGoodSecrets), ForeignObject,
--     NamespaceExcluded, UnknownCloudCompute...                    -> Degraded
--   Reconciling=True: components rolling out or failing, a secret
--     not there yet (SecretNotFound), a retried error               -> Progressing
--   spec.stopped: true, once the controller has stopped the app    -> Suspended
--   Ready=True                                                     -> Healthy
--   anything else                                                  -> Progressing
--
-- Only Lua's base library is used: Argo CD runs argocd-cm scripts without
-- the string library unless useOpenLibs is set.

local function condition(conditions, condType)
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == condType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function messageOf(c, fallback)
  if c ~= nil and type(c.message) == "string" and c.message ~= "" then
    return c.message
  end
  return fallback
end

local function number(v)
  if type(v) == "number" or type(v) == "string" then
    return tonumber(v)
  end
  return nil
end

local function result(status, message)
  return { status = status, message = message }
end

local status = obj.status
if type(status) ~= "table" or type(status.conditions) ~= "table" or #status.conditions == 0 then
  return result("Progressing", "Waiting for the controller to report the app's status")
end

local conditions = status.conditions
local ready = condition(conditions, "Ready")

-- The generation the status describes. A pass that stopped on an error
-- before the controller ever wrote status.observedGeneration still stamps
-- it on its conditions: read Ready's then.
local generation = nil
if type(obj.metadata) == "table" then
  generation = number(obj.metadata.generation)
end
local observed = number(status.observedGeneration)
if observed == nil and ready ~= nil then
  observed = number(ready.observedGeneration)
end
if generation ~= nil and (observed == nil or observed < generation) then
  return result("Progressing", "Waiting for the controller to observe generation " .. generation ..
    " (the status is of generation " .. (observed or 0) .. ")")
end

local stalled = condition(conditions, "Stalled")
if isTrue(stalled) then
  return result("Degraded", messageOf(stalled, messageOf(ready, "The app is stalled")))
end

local reconciling = condition(conditions, "Reconciling")
if isTrue(reconciling) then
  if ready ~= nil and ready.status ~= "True" then
    return result("Progressing", messageOf(ready, messageOf(reconciling, "Reconciling")))
  end
  return result("Progressing", messageOf(reconciling, "Reconciling"))
end

if type(obj.spec) == "table" and obj.spec.stopped == true then
  if isTrue(ready) and ready.reason == "Stopped" then
    return result("Suspended", messageOf(ready, "stopped"))
  end
  return result("Suspended", "stopped")
end

if ready == nil then
  return result("Progressing", "Waiting for the Ready condition")
end
if ready.status == "True" then
  return result("Healthy", messageOf(ready, "Ready"))
end
return result("Progressing", messageOf(ready, "Not ready yet"))
