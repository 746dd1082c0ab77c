// Simulate: the analyst says what each step does (succeeds, fails after its retries, throws a
// business error with a code; a user task's decision; a message such as a cancel after a given
// step), the server runs the bundle on its real engine (POST /api/v1/simulations, nothing
// stored), and the path taken and the order of compensation are drawn on the diagram: states
// as the order page draws them, numbered badges on the undone steps, the final status in words.
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import { applyStates } from "../diagram.entry.js";
import { api, ApiError } from "./api.js";

const OUTCOMES = ["ok", "fail", "error"];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => (k === "text" ? (node.textContent = v) : node.setAttribute(k, v)));
  node.append(...children);
  return node;
}

export class Simulation {
  constructor(workbench, root) {
    this.wb = workbench;
    this.t = workbench.texts;
    this.root = root;
    this.choices = {};   // element id -> {outcome, code} / {choice, data}
    this.drawn = false;
  }

  // every element of the bundle of the given BPMN types: [{id, name, file, type, element}]
  elements(...types) {
    return this.wb.files().flatMap(({ name, modeler }) => modeler.get("elementRegistry")
      .filter((e) => types.some((type) => is(e, type)) && !e.labelTarget)
      .map((e) => ({ id: e.id, name: getBusinessObject(e).get("name") || e.id, file: name, element: e })));
  }

  render() {
    const t = this.t;
    const form = el("form", { class: "simulation-form" });
    form.addEventListener("submit", (event) => { event.preventDefault(); this.run(); });
    form.append(el("p", { class: "muted", text: t.simulateHelp }));

    const data = el("textarea", { id: "sim-data", rows: "2", spellcheck: "false" });
    data.value = this.dataText ?? JSON.stringify(this.wb.data.simulation_data || {});
    data.addEventListener("input", () => (this.dataText = data.value));
    form.append(el("label", { for: "sim-data", text: t.startData }), data);

    const tasks = this.elements("bpmn:ServiceTask");
    const steps = el("fieldset", {}, el("legend", { text: t.serviceSteps }));
    tasks.forEach((task) => steps.append(this.outcomeRow(task)));
    form.append(steps);

    const people = this.elements("bpmn:UserTask");
    if (people.length) {
      const set = el("fieldset", {}, el("legend", { text: t.userSteps }));
      people.forEach((task) => set.append(this.userRow(task)));
      form.append(set);
    }
    form.append(this.messageRow());
    const run = el("button", { type: "submit", id: "simulate-run", text: t.runSimulation });
    form.append(run);
    this.result = el("div", { id: "simulation-result", "aria-live": "polite" });
    this.root.replaceChildren(form, this.result);
  }

  outcomeRow(task) {
    const t = this.t;
    const choice = this.choices[task.id] || (this.choices[task.id] = { outcome: "ok", code: "" });
    const id = `sim-outcome-${task.id}`;
    const select = el("select", { id, name: id, "data-element-id": task.id });
    OUTCOMES.forEach((o) => select.append(el("option", { value: o, text: t.outcomes[o] })));
    select.value = choice.outcome;
    const code = el("input", { type: "text", id: `${id}-code`, "aria-label": t.errorCode, placeholder: t.errorCode,
      value: choice.code, size: "12" });
    code.hidden = choice.outcome !== "error";
    select.addEventListener("change", () => { choice.outcome = select.value; code.hidden = select.value !== "error"; });
    code.addEventListener("input", () => (choice.code = code.value.trim()));
    const handler = task.element.businessObject.get("isForCompensation") ? ` (${t.undoStep})` : "";
    return el("div", { class: "sim-row" }, el("label", { for: id, text: task.name + handler }), select, code);
  }

  userRow(task) {
    const t = this.t;
    const choice = this.choices[task.id] || (this.choices[task.id] = { choice: "", data: "{}" });
    const formName = (getBusinessObject(task.element).get("extensionElements") || { values: [] }).values
      .flatMap((v) => (v.get && v.get("properties")) || []).find((p) => p.get("name") === "formJsonSchemaFilename");
    const form = this.wb.catalog.forms.find((f) => formName && f.name === formName.get("value"));
    const id = `sim-user-${task.id}`;
    const select = el("select", { id, "data-element-id": task.id }, el("option", { value: "", text: t.anyDecision }));
    (form ? form.fields : []).filter((f) => f.choices.length).forEach((f) => f.choices
      .forEach((value) => select.append(el("option", { value: JSON.stringify({ [f.name]: value }), text: `${f.label}: ${value}` }))));
    select.value = choice.choice;
    select.addEventListener("change", () => (choice.choice = select.value));
    const extra = el("input", { type: "text", id: `${id}-data`, value: choice.data, "aria-label": t.moreData, spellcheck: "false" });
    extra.addEventListener("input", () => (choice.data = extra.value));
    return el("div", { class: "sim-row" }, el("label", { for: id, text: task.name }), select, extra);
  }

  messageRow() {
    const t = this.t;
    const messages = [...new Set(this.wb.files().flatMap(({ modeler }) => (modeler.getDefinitions().get("rootElements") || [])
      .filter((r) => is(r, "bpmn:Message")).map((m) => m.get("name")).filter(Boolean)))];
    const steps = this.elements("bpmn:Task", "bpmn:CallActivity", "bpmn:SubProcess", "bpmn:Event")
      .filter((s) => !is(s.element, "bpmn:BoundaryEvent"));
    this.message = this.message || { name: "", after: "" };
    const name = el("select", { id: "sim-message" }, el("option", { value: "", text: t.noMessage }));
    messages.forEach((m) => name.append(el("option", { value: m, text: m })));
    name.value = this.message.name;
    const after = el("select", { id: "sim-message-after", "aria-label": t.afterStep });
    steps.forEach((s) => after.append(el("option", { value: s.id, text: s.name })));
    after.value = this.message.after || (steps[0] && steps[0].id) || "";
    name.addEventListener("change", () => (this.message.name = name.value));
    after.addEventListener("change", () => (this.message.after = after.value));
    this.message.after = after.value;
    return el("fieldset", {}, el("legend", { text: t.sendMessage }),
      el("div", { class: "sim-row" }, el("label", { for: "sim-message", text: t.message }), name,
        el("label", { for: "sim-message-after", text: t.afterStep }), after));
  }

  request(files) {
    const outcomes = {};
    const userTasks = {};
    Object.entries(this.choices).forEach(([id, c]) => {
      if (c.outcome === "fail") outcomes[id] = ["fail"];
      if (c.outcome === "error") outcomes[id] = [`error:${c.code || "business_error"}`];
      if ("choice" in c) {
        const data = { ...JSON.parse(c.data || "{}"), ...(c.choice ? JSON.parse(c.choice) : {}) };
        userTasks[id] = Array(20).fill(data);   // every round of the task decides the same
      }
    });
    const messages = this.message.name ? [{ name: this.message.name, after: this.message.after, payload: {} }] : [];
    return { files, process_id: this.wb.data.name, data: JSON.parse(this.dataText ?? JSON.stringify(this.wb.data.simulation_data || {})),
      outcomes, user_tasks: userTasks, messages };
  }

  async run() {
    const t = this.t;
    let body;
    try {
      body = this.request(await this.wb.xmlFiles());
    } catch (error) {
      this.result.replaceChildren(el("p", { class: "form-error", role: "alert", text: `${t.badJson} ${error.message}` }));
      return;
    }
    this.result.replaceChildren(el("p", { text: t.running }));
    try {
      this.show(await api("/api/v1/simulations", { method: "POST", body }));
    } catch (error) {
      const problems = error instanceof ApiError && error.body.problems;
      this.result.replaceChildren(el("p", { class: "form-error", role: "alert",
        text: problems ? t.simulationRefused : `${t.simulationFailed} ${error.message}` }));
    }
  }

  label(id) {
    const found = this.elements("bpmn:FlowNode").find((e) => e.id === id);
    return found ? found.name : id;
  }

  show(result) {
    const t = this.t;
    const view = this.view(result);
    const status = el("p", { class: `sim-status sim-${result.status}`, id: "simulation-status" },
      el("strong", { text: t.statuses[result.status] || result.status }),
      result.end_events.length ? ` · ${t.endedAt} ${result.end_events.map((e) => this.label(e)).join(", ")}` : "");
    const path = el("ol", { class: "sim-path", id: "simulation-path" });
    const seen = new Set();
    result.trace.filter((step) => step.element_type && !/Flow$/.test(step.element_type)).forEach((step) => {
      const key = `${step.element_id}:${step.event}`;
      if (seen.has(key) && step.event === "completed") return;
      seen.add(key);
      path.append(el("li", { class: `sim-event-${step.event.split(":")[0]}`,
        text: `${this.label(step.element_id)} — ${t.events[step.event.split(":")[0]] || step.event}` }));
    });
    const undone = el("ol", { class: "sim-undone", id: "simulation-compensations" });
    view.undone.forEach(({ handler, host }) => undone.append(el("li", { text: host ? `${this.label(host)} ← ${this.label(handler)}` : this.label(handler) })));
    this.result.replaceChildren(status,
      ...(result.waiting.length ? [el("p", { text: `${t.waitingAt} ${result.waiting.map((w) => this.label(w.element_id)).join(", ")}` })] : []),
      ...(view.undone.length ? [el("h4", { text: t.compensationOrder }), undone] : []),
      el("details", {}, el("summary", { text: t.pathTaken }), path),
      el("button", { type: "button", class: "secondary", id: "simulation-clear", text: t.clearSimulation }));
    this.result.querySelector("#simulation-clear").addEventListener("click", () => this.clear());
    this.wb.files().forEach(({ modeler }) => applyStates(modeler, view));
    this.drawn = true;
  }

  // the diagram's view of a result: element states and numbered badges on the undone steps
  view(result) {
    const states = {};
    result.trace.forEach(({ element_id: id, event }) => {
      if (!id) return;
      if (event === "completed" && !states[id]) states[id] = "completed";
      if (event === "failed" || event.startsWith("error") || event === "incident") states[id] = "failed";
    });
    (result.waiting || []).forEach(({ element_id: id }) => (states[id] = "active"));
    const hosts = this.compensationHosts();
    const undone = result.compensations.map((handler) => ({ handler, host: hosts[handler] }));
    undone.forEach(({ host }) => host && (states[host] = "compensated"));
    const badges = undone.map(({ handler, host }, i) => ({ element: host || handler, text: String(i + 1),
      title: this.t.undoneNth.replace("%n", i + 1).replace("%s", this.label(handler)) }));
    return { states, badges, undone };
  }

  // compensation handler id -> the activity it undoes (through its boundary event)
  compensationHosts() {
    const hosts = {};
    this.elements("bpmn:Association").forEach(({ element }) => {
      if (element.source && element.source.host && element.target) hosts[element.target.id] = element.source.host.id;
    });
    return hosts;
  }

  clear() {
    if (!this.drawn) return;
    this.wb.files().forEach(({ modeler }) => applyStates(modeler, {}));
    this.drawn = false;
    if (this.result) this.result.replaceChildren();
  }
}
