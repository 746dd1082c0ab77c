// Our extensions in the properties panel (bpmn-js-properties-panel 5, a provider beside the
// standard BPMN one): a service task's handler (from GET /api/v1/handlers) with its parameters
// and retry settings; a user task's form (GET /api/v1/forms) and lane; the order status an
// event or task sets; an activity's compensation handler. Texts come from the page (ru/en).
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import { handlerOf, parameter, parameters, property, setHandler, setParameter, setProperty } from "./moddle.js";
import { addCompensation, compensationOf, mayHaveCompensation, removeCompensation } from "./compensation.js";

const STATUS_HOLDERS = ["bpmn:UserTask", "bpmn:CallActivity", "bpmn:ReceiveTask", "bpmn:StartEvent",
  "bpmn:EndEvent", "bpmn:IntermediateCatchEvent", "bpmn:IntermediateThrowEvent"];

function EscrowPropertiesProvider(propertiesPanel, catalog) {
  this.catalog = catalog;
  propertiesPanel.registerProvider(500, this);
}
EscrowPropertiesProvider.$inject = ["propertiesPanel", "escrowCatalog"];

EscrowPropertiesProvider.prototype.getGroups = function (element) {
  const catalog = this.catalog;
  return (groups) => {
    const t = catalog.texts;
    const add = (id, label, entries) => entries.length && groups.splice(1, 0, { id, label, entries });
    if (is(element, "bpmn:Event") || is(element, "bpmn:Activity")) {
      if (STATUS_HOLDERS.some((type) => is(element, type))) {
        add("escrow-status", t.orderStatus, [{ id: "escrow-status", element, component: StatusEntry, isEdited: isSelectEntryEdited }]);
      }
      if (mayHaveCompensation(element)) {
        add("escrow-compensation", t.compensation, [{ id: "escrow-compensation", element, component: CompensationEntry }]);
      }
      if (is(element, "bpmn:UserTask")) {
        add("escrow-form", t.formAndLane, [
          { id: "escrow-form", element, component: FormEntry, isEdited: isSelectEntryEdited },
          { id: "escrow-lane", element, component: LaneEntry, isEdited: isSelectEntryEdited }]);
      }
      if (is(element, "bpmn:ServiceTask")) {
        add("escrow-retry", t.retries, [
          { id: "escrow-retry-max", element, component: RetryEntry, name: "retry.max_attempts", label: t.retryMax, isEdited: isTextFieldEntryEdited },
          { id: "escrow-retry-base", element, component: RetryEntry, name: "retry.base_s", label: t.retryBase, isEdited: isTextFieldEntryEdited }]);
        add("escrow-handler", t.handler, [
          { id: "escrow-handler", element, component: HandlerEntry, isEdited: isSelectEntryEdited },
          ...parameterNames(element, catalog).map((name) => ({ id: `escrow-parameter-${name}`, element, name,
            component: ParameterEntry, isEdited: isTextFieldEntryEdited }))]);
      }
    }
    return groups;
  };
};

function parameterNames(element, catalog) {
  const declared = (catalog.handler(handlerOf(element)) || { parameters: [] }).parameters.map((p) => p.name);
  const written = parameters(element).map((p) => p.get("id"));
  return [...new Set([...declared, ...written])];
}

function HandlerEntry({ element, id }) {
  const catalog = useService("escrowCatalog");
  const injector = useService("injector");
  const t = catalog.texts;
  const current = handlerOf(element);
  const chosen = catalog.handler(current);
  const about = chosen ? [chosen.description, chosen.read_only ? t.readOnly : "",
    chosen.compensation ? t.undoneBy.replace("%s", chosen.compensation) : "",
    chosen.compensates ? t.undoes.replace("%s", chosen.compensates) : ""].filter(Boolean).join(" ")
    : current ? t.unknownHandler : t.chooseHandler;
  return <SelectEntry id={id} element={element} label={t.handler} description={about}
    getValue={() => current}
    setValue={(value) => setHandler(injector, element, value)}
    getOptions={() => [{ value: "", label: t.noHandler },
      ...catalog.handlers.map((h) => ({ value: h.name, label: h.name + (h.read_only ? " · " + t.readOnlyShort : "") })),
      ...(current && !chosen ? [{ value: current, label: current + " ?" }] : [])]} />;
}

function ParameterEntry({ element, id, name }) {
  const catalog = useService("escrowCatalog");
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const declared = ((catalog.handler(handlerOf(element)) || { parameters: [] }).parameters.find((p) => p.name === name) || {});
  return <TextFieldEntry id={id} element={element} debounce={debounce}
    label={catalog.texts.parameter.replace("%s", name)} description={declared.description || catalog.texts.parameterHelp}
    getValue={() => parameter(element, name)} setValue={(value) => setParameter(injector, element, name, (value || "").trim())} />;
}

function RetryEntry({ element, id, name, label }) {
  const catalog = useService("escrowCatalog");
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return <TextFieldEntry id={id} element={element} debounce={debounce} label={label}
    description={catalog.texts.retryHelp}
    validate={(value) => (value && !/^\d+(\.\d+)?$/.test(value.trim()) ? catalog.texts.number : null)}
    getValue={() => property(element, name)}
    setValue={(value, error) => !error && setProperty(injector, element, name, (value || "").trim())} />;
}

function FormEntry({ element, id }) {
  const catalog = useService("escrowCatalog");
  const injector = useService("injector");
  const t = catalog.texts;
  const current = property(element, "formJsonSchemaFilename");
  const known = catalog.forms.find((f) => f.name === current);
  return <SelectEntry id={id} element={element} label={t.form}
    description={known ? known.description : current ? t.unknownForm : t.chooseForm}
    getValue={() => current}
    setValue={(value) => setProperty(injector, element, "formJsonSchemaFilename", value)}
    getOptions={() => [{ value: "", label: t.noForm },
      ...catalog.forms.filter((f) => !f.problem).map((f) => ({ value: f.name, label: `${f.title} (${f.name})` })),
      ...(current && !known ? [{ value: current, label: current + " ?" }] : [])]} />;
}

function lanesAround(element, registry) {
  return registry.filter((shape) => is(shape, "bpmn:Lane") && !(shape.children || []).some((c) => is(c, "bpmn:Lane")))
    .filter((lane) => lane.parent === element.parent || lane.parent.parent === element.parent);
}

function laneOf(element, lanes) {
  const middle = element.y + element.height / 2;
  return lanes.find((lane) => middle >= lane.y && middle <= lane.y + lane.height);
}

function LaneEntry({ element, id }) {
  const catalog = useService("escrowCatalog");
  const injector = useService("injector");
  const registry = useService("elementRegistry");
  const t = catalog.texts;
  const lanes = lanesAround(element, registry);
  const current = laneOf(element, lanes);
  if (!lanes.length) return <div class="bio-properties-panel-entry escrow-note" data-entry-id={id}>{t.noLanes}</div>;
  return <SelectEntry id={id} element={element} label={t.lane} description={t.laneHelp}
    getValue={() => (current ? current.id : "")}
    setValue={(laneId) => {
      const lane = registry.get(laneId);
      if (!lane) return;
      injector.get("modeling").moveElements([element], { x: 0, y: lane.y + lane.height / 2 - (element.y + element.height / 2) });
      setProperty(injector, element, "lane", getBusinessObject(lane).get("name") || lane.id);
    }}
    getOptions={() => [...(current ? [] : [{ value: "", label: "—" }]),
      ...lanes.map((lane) => ({ value: lane.id, label: getBusinessObject(lane).get("name") || lane.id }))]} />;
}

function StatusEntry({ element, id }) {
  const catalog = useService("escrowCatalog");
  const injector = useService("injector");
  const t = catalog.texts;
  const current = property(element, "status");
  return <SelectEntry id={id} element={element} label={t.status} description={t.statusHelp}
    getValue={() => current}
    setValue={(value) => setProperty(injector, element, "status", value)}
    getOptions={() => [{ value: "", label: t.noStatus }, ...catalog.statuses.map((s) => ({ value: s, label: s })),
      ...(current && !catalog.statuses.includes(current) ? [{ value: current, label: current + " ?" }] : [])]} />;
}

function CompensationEntry({ element, id }) {
  const catalog = useService("escrowCatalog");
  const injector = useService("injector");
  const selection = useService("selection");
  const t = catalog.texts;
  const found = compensationOf(element);
  const name = (shape) => getBusinessObject(shape).get("name") || shape.id;
  if (found) {
    return <div class="bio-properties-panel-entry escrow-compensation" data-entry-id={id}>
      <p>{t.undoneByStep.replace("%s", found.handler ? name(found.handler) : "?")}
        {found.handler && handlerOf(found.handler) ? ` (${handlerOf(found.handler)})` : ""}</p>
      <div class="escrow-buttons">
        {found.handler && <button type="button" class="secondary" onClick={() => selection.select(found.handler)}>{t.showHandler}</button>}
        <button type="button" class="secondary" onClick={() => removeCompensation(injector, element)}>{t.removeCompensation}</button>
      </div>
    </div>;
  }
  const suggestion = (catalog.handler(handlerOf(element)) || {}).compensation;
  return <div class="bio-properties-panel-entry escrow-compensation" data-entry-id={id}>
    <p>{t.noCompensation}</p>
    <button type="button" class="secondary" onClick={() => {
      const handler = addCompensation(injector, element, t.undoName.replace("%s", name(element)));
      if (suggestion) setHandler(injector, handler, suggestion);
      selection.select(handler);
    }}>{t.addCompensation}</button>
    {suggestion && <p class="escrow-note">{t.suggested.replace("%s", suggestion)}</p>}
  </div>;
}

export default {
  __init__: ["escrowPropertiesProvider"],
  escrowPropertiesProvider: ["type", EscrowPropertiesProvider],
};
