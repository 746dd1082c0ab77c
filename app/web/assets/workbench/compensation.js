// A compensation handler attached to an activity, as BPMN and our engine want it: a
// compensation boundary event on the activity, an association from it to an activity marked
// isForCompensation (the handler, a service task here), which has no sequence flows.
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

export function isCompensationBoundary(shape) {
  return is(shape, "bpmn:BoundaryEvent") &&
    (getBusinessObject(shape).get("eventDefinitions") || []).some((d) => is(d, "bpmn:CompensateEventDefinition"));
}

// {boundary, handler} of an activity, or null
export function compensationOf(shape) {
  const boundary = (shape.attachers || []).find(isCompensationBoundary);
  if (!boundary) return null;
  const link = (boundary.outgoing || []).find((c) => is(c, "bpmn:Association"));
  return { boundary, handler: link ? link.target : null };
}

export function mayHaveCompensation(shape) {
  const bo = getBusinessObject(shape);
  return is(shape, "bpmn:Activity") && !bo.get("isForCompensation") &&
    !(is(shape, "bpmn:SubProcess") && bo.get("triggeredByEvent"));
}

// Adds the boundary event, the handler (named `name`) below the activity and the association.
// Returns the handler shape.
export function addCompensation(injector, activity, name) {
  const modeling = injector.get("modeling");
  const elementFactory = injector.get("elementFactory");
  const bpmnFactory = injector.get("bpmnFactory");
  const boundary = modeling.createShape(
    elementFactory.createShape({ type: "bpmn:BoundaryEvent", eventDefinitionType: "bpmn:CompensateEventDefinition" }),
    { x: activity.x + activity.width - 20, y: activity.y + activity.height }, activity, { attach: true });
  const handlerShape = elementFactory.createShape({
    type: "bpmn:ServiceTask",
    businessObject: bpmnFactory.create("bpmn:ServiceTask", { name, isForCompensation: true }),
  });
  const handler = modeling.createShape(handlerShape,
    { x: activity.x + activity.width / 2, y: activity.y + activity.height + 90 }, activity.parent);  // below, as ours are
  modeling.connect(boundary, handler, { type: "bpmn:Association", associationDirection: "One" });
  return handler;
}

export function removeCompensation(injector, activity) {
  const found = compensationOf(activity);
  if (!found) return;
  injector.get("modeling").removeElements([found.boundary, found.handler].filter(Boolean));
}
