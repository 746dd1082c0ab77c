// A BPMN diagram with per-element states and numbered badges, drawn by the bpmn-js viewer.
//
// Reusable: window.EscrowDiagram.draw(element, xml, view) returns {viewer, update(view)};
// applyStates(viewer, view) marks any bpmn-js viewer or modeler. A view is
//   {states: {elementId: "completed" | "active" | "failed" | "compensating" | "compensated"
//             | "compensation_failed"},
//    badges: [{element: elementId, text: "1", title: "what the badge means"}]}
// and each state becomes the CSS class `state-<state>` (with "_" as "-") on the element.
//
// Pages need no script of their own: an element with data-diagram-xml and data-diagram-view
// (selectors of JSON <script> elements holding the XML and the view) is drawn on load and
// redrawn with the new view whenever htmx has swapped content in.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

export const STATES = ["completed", "active", "failed", "compensating", "compensated",
  "compensation_failed"];
const BADGE = "state-badge";

export function markerClass(state) {
  return "state-" + state.replace(/_/g, "-");
}

export function applyStates(viewer, view = {}) {
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  const states = view.states || {};
  registry.forEach((element) => {
    STATES.forEach((state) => canvas.removeMarker(element, markerClass(state)));
  });
  Object.entries(states).forEach(([id, state]) => {
    if (registry.get(id) && STATES.includes(state)) canvas.addMarker(id, markerClass(state));
  });
  overlays.remove({ type: BADGE });
  (view.badges || []).forEach(({ element, text, title }) => {
    if (!registry.get(element)) return;
    const badge = document.createElement("span");
    badge.className = "diagram-badge";
    badge.textContent = text;
    if (title) badge.title = title;
    overlays.add(element, BADGE, { position: { top: -12, right: 12 }, html: badge });
  });
}

export async function draw(container, xml, view = {}) {
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(xml);
  viewer.get("canvas").zoom("fit-viewport", "auto");
  applyStates(viewer, view);
  return { viewer, update: (next) => applyStates(viewer, next) };
}

function readJson(selector) {
  const source = selector && document.querySelector(selector);
  return source ? JSON.parse(source.textContent) : null;
}

async function wire(container) {
  if (container.escrowDiagram) return;
  container.escrowDiagram = "drawing";
  try {
    const diagram = await draw(container, readJson(container.dataset.diagramXml));
    container.escrowDiagram = diagram;
    diagram.update(readJson(container.dataset.diagramView) || {}); // the view may be newer now
  } catch (error) {
    container.escrowDiagram = null;
    container.textContent = "The diagram could not be drawn: " + error.message;
  }
}

function refresh() {
  document.querySelectorAll("[data-diagram-xml]").forEach((container) => {
    const diagram = container.escrowDiagram;
    if (diagram && diagram.update) {
      diagram.update(readJson(container.dataset.diagramView) || {});
    } else {
      wire(container);
    }
  });
}

window.EscrowDiagram = { draw, applyStates, markerClass, STATES };
document.addEventListener("DOMContentLoaded", refresh);
document.addEventListener("htmx:afterSettle", refresh);
