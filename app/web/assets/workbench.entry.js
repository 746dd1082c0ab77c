// The model editor page (/models/<name>/edit): see workbench/workbench.js. Exposed as
// window.escrowWorkbench (its modelers' services are what browser tests drive).
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css";
import { Workbench } from "./workbench/workbench.js";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("workbench");
  const data = document.getElementById("workbench-data");
  if (!root || !data) return;
  const workbench = new Workbench(root, JSON.parse(data.textContent));
  window.escrowWorkbench = workbench;
  workbench.start().catch((error) => {
    root.querySelector("#wb-status").textContent = `${workbench.texts.startFailed} ${error.message}`;
  });
});
