// Our extensions as SpiffWorkflow writes them (bpmn/order_creation.bpmn is the reference):
//   <bpmn:extensionElements>
//     <spiffworkflow:serviceTaskOperator id="<handler>" resultVariable="">
//       <spiffworkflow:parameters><spiffworkflow:parameter id="survivor" type="str" value="client_id"/>
//     </spiffworkflow:serviceTaskOperator>
//     <spiffworkflow:properties><spiffworkflow:property name="status" value="SIGNED"/> ...
//
// spiffworkflow.json types only what the editor changes. Every other spiffworkflow element
// (instructionsForEndUser, messageVariable, preScript, ... and whatever SpiffArena adds) must
// survive an edit unchanged: `lenient` makes the model read unknown spiffworkflow types as
// generic elements (kept with their attributes, children and text) instead of dropping them
// with an "unparsable content" warning, as moddle does for unknown types of a known namespace.
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import descriptor from "./spiffworkflow.json";

export const spiffworkflow = descriptor;
const PREFIX = descriptor.prefix + ":";

export function lenient(moddle) {
  const getType = moddle.getType.bind(moddle);
  moddle.getType = (name) => {
    try {
      return getType(name);
    } catch (error) {
      if (typeof name === "string" && name.startsWith(PREFIX)) return getType("Element");
      throw error;
    }
  };
  return moddle;
}

// --- reading ---------------------------------------------------------------------------------

function extension(bo, type) {
  const values = (bo.get("extensionElements") || { values: [] }).values || [];
  return values.find((value) => is(value, type));
}

export function operator(element) {
  return extension(getBusinessObject(element), "spiffworkflow:ServiceTaskOperator");
}

export function handlerOf(element) {
  const op = operator(element);
  return (op && op.get("id")) || "";
}

export function parameters(element) {
  const list = (operator(element) || { get: () => null }).get("parameterList");
  return list ? list.get("parameters") : [];
}

export function parameter(element, id) {
  const found = parameters(element).find((p) => p.get("id") === id);
  return found ? found.get("value") || "" : "";
}

function propertyList(element) {
  return extension(getBusinessObject(element), "spiffworkflow:Properties");
}

export function property(element, name) {
  const list = propertyList(element);
  const found = list && list.get("properties").find((p) => p.get("name") === name);
  return found ? found.get("value") || "" : "";
}

// --- writing: one undoable command per change (the properties panel's multi-command) ---------

function update(element, moddleElement, properties) {
  return { cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } };
}

class Change {
  constructor(injector, element) {
    this.factory = injector.get("bpmnFactory");
    this.commandStack = injector.get("commandStack");
    this.element = element;
    this.commands = [];
  }

  create(type, attrs, parent) {
    const created = this.factory.create(type, attrs);
    created.$parent = parent;
    return created;
  }

  add(parent, listName, type, attrs) {
    const created = this.create(type, attrs, parent);
    this.commands.push(update(this.element, parent, { [listName]: [...parent.get(listName), created] }));
    return created;
  }

  remove(parent, listName, item) {
    this.commands.push(update(this.element, parent, { [listName]: parent.get(listName).filter((i) => i !== item) }));
  }

  set(moddleElement, properties) {
    this.commands.push(update(this.element, moddleElement, properties));
  }

  extensions() {
    const bo = getBusinessObject(this.element);
    let ext = bo.get("extensionElements");
    if (!ext) {
      ext = this.create("bpmn:ExtensionElements", { values: [] }, bo);
      this.set(bo, { extensionElements: ext });
    }
    return ext;
  }

  run() {
    if (this.commands.length) this.commandStack.execute("properties-panel.multi-command-executor", this.commands);
  }
}

export function setProperty(injector, element, name, value) {
  const change = new Change(injector, element);
  let list = propertyList(element);
  const found = list && list.get("properties").find((p) => p.get("name") === name);
  if (!value) {
    if (found) change.remove(list, "properties", found);
  } else if (found) {
    change.set(found, { value });
  } else {
    list = list || change.add(change.extensions(), "values", "spiffworkflow:Properties", { properties: [] });
    change.add(list, "properties", "spiffworkflow:Property", { name, value });
  }
  change.run();
}

export function setHandler(injector, element, name) {
  const change = new Change(injector, element);
  const op = operator(element);
  if (!name) {
    if (op) change.remove(getBusinessObject(element).get("extensionElements"), "values", op);
  } else if (op) {
    change.set(op, { id: name });
  } else {
    change.add(change.extensions(), "values", "spiffworkflow:ServiceTaskOperator", { id: name, resultVariable: "" });
  }
  change.run();
}

export function setParameter(injector, element, id, value) {
  const change = new Change(injector, element);
  const op = operator(element);
  if (!op) return;
  let list = op.get("parameterList");
  const found = list && list.get("parameters").find((p) => p.get("id") === id);
  if (!value) {
    if (found) change.remove(list, "parameters", found);
  } else if (found) {
    change.set(found, { value });
  } else {
    if (!list) {
      list = change.create("spiffworkflow:Parameters", { parameters: [] }, op);
      change.set(op, { parameterList: list });
    }
    change.add(list, "parameters", "spiffworkflow:Parameter", { id, type: "str", value });
  }
  change.run();
}
