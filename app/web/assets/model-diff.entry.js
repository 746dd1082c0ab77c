// Two versions of a model side by side: each diagram drawn by the bpmn-js viewer with the
// elements the server found added, removed or changed marked as CSS classes `diff-<kind>`
// (the server's change list, app/services/model_diff.py, is the one source of both the marks
// and the words). Hovering or focusing a change in the list highlights its element.
import { draw } from "./diagram.entry.js";

const KINDS = ["added", "removed", "changed"];

function readJson(selector) {
  const source = selector && document.querySelector(selector);
  return source ? JSON.parse(source.textContent) : {};
}

async function drawDiff(container) {
  const { viewer } = await draw(container, readJson(container.dataset.diffXml));
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  Object.entries(readJson(container.dataset.diffMarks)).forEach(([id, kind]) => {
    if (registry.get(id) && KINDS.includes(kind)) canvas.addMarker(id, "diff-" + kind);
  });
  return viewer;
}

async function start() {
  const viewers = await Promise.all([...document.querySelectorAll("[data-diff-xml]")].map(drawDiff));
  document.querySelectorAll(".changes [data-element-id]").forEach((item) => {
    item.tabIndex = 0;
    const toggle = (on) => viewers.forEach((viewer) => {
      const id = item.dataset.elementId;
      if (viewer.get("elementRegistry").get(id)) {
        viewer.get("canvas")[on ? "addMarker" : "removeMarker"](id, "diff-focus");
      }
    });
    ["mouseenter", "focus"].forEach((e) => item.addEventListener(e, () => toggle(true)));
    ["mouseleave", "blur"].forEach((e) => item.addEventListener(e, () => toggle(false)));
  });
}

document.addEventListener("DOMContentLoaded", start);
