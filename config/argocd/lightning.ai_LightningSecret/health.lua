-- Argo CD health check for lightning.ai/LightningSecret (lightning-operator).
--
-- It reads the status the operator writes (docs/api.md, "LightningSecret"):
--   no status yet, or a generation the controller has not observed -> Progressing
--   Stalled=True, or Ready=False with a reason that waiting does not fix
--     (Malformed, UnknownVersion, KeyNotFound, Tampered,
--     ValueHasNUL, ValueTooLong)                                   -> Degraded
--   Ready=True (the value opens)                                    -> Healthy
--   anything else                                                   -> Progressing
--
-- Only Lua's base library is used: Argo CD runs argocd-cm scripts without
-- the string library unless useOpenLibs is set.

local failed = {
  Malformed = true, UnknownVersion = true, KeyNotFound = true, Tampered = true,
  ValueHasNUL = true, ValueTooLong = true,
}

local function condition(conditions, condType)
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == condType then
      return c
    end
  end
  return nil
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
  return result("Progressing", "Waiting for the controller to open the value")
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
if stalled ~= nil and stalled.status == "True" then
  return result("Degraded", messageOf(stalled, messageOf(ready, "The value does not open")))
end

if ready == nil then
  return result("Progressing", "Waiting for the Ready condition")
end
if ready.status == "True" then
  return result("Healthy", messageOf(ready, "The value opens"))
end
if ready.status == "False" and failed[ready.reason] then
  return result("Degraded", messageOf(ready, "The value does not open: " .. ready.reason))
end
return result("Progressing", messageOf(ready, "Waiting for the value to open"))
