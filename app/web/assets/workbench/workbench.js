// The model editor: one bpmn-js Modeler per file of the bundle (the main process and the
// processes it calls), shown as tabs, each with its properties panel (the standard BPMN
// properties and ours), bpmnlint and our moddle extension; the engine's checks after every
// change (debounced); simulation and deploy in the side panel; upload of a .bpmn file.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import lintConfig from "virtual:bpmnlint-config";
import { is } from "bpmn-js/lib/util/ModelUtil";
import propertiesModule from "./properties.jsx";
import { lenient, spiffworkflow } from "./moddle.js";
import { Problems } from "./problems.js";
import { Simulation } from "./simulate.js";
import { Deploy } from "./deploy.js";
import { api } from "./api.js";
import russian from "bpmn-js-i18n/translations/ru.js";

const CHECK_DELAY_MS = 600;
const FILE_NAME = /^[\w.-]+\.bpmn$/;
// our groups of the properties panel start open (ids from properties.jsx)
const OPEN_GROUPS = Object.fromEntries(["escrow-handler", "escrow-retry", "escrow-form", "escrow-status",
  "escrow-compensation"].map((id) => [id, { open: true }]));

// The modeler's own words (palette, context pad, menus) in the page's language: bpmn-js-i18n's
// community translations; what they lack stays English
const DICTIONARIES = { ru: russian };

function translation(lang) {
  const words = DICTIONARIES[lang] || {};
  return (template, replacements = {}) => (words[template] || template)
    .replace(/{([^}]+)}/g, (whole, key) => (key in replacements ? replacements[key] : whole));
}

// Files written without <incoming>/<outgoing> (ours, hand-written ones) still have their flows:
// give each node the references bpmnlint and the modeler read, as bpmn-js would have written them.
function linkFlows(container) {
  (container.get("flowElements") || []).forEach((element) => {
    if (is(element, "bpmn:SequenceFlow")) {
      const { sourceRef: source, targetRef: target } = element;
      if (source && !source.get("outgoing").includes(element)) source.get("outgoing").push(element);
      if (target && !target.get("incoming").includes(element)) target.get("incoming").push(element);
    }
    if (element.get("flowElements")) linkFlows(element);
  });
}

export class Workbench {
  constructor(root, data) {
    this.root = root;
    this.data = data;
    this.texts = data.texts;
    this.version = data.version;
    this.tabs = new Map();   // file name -> {name, modeler, canvas, panel, tab}
    this.checkSeq = 0;
    this.find = (id) => root.querySelector("#" + id);
  }

  async start() {
    const [handlers, forms] = await Promise.all([api("/api/v1/handlers"), api("/api/v1/forms")]);
    this.catalog = { texts: this.texts, handlers, forms, statuses: this.data.statuses,
      handler: (name) => handlers.find((h) => h.name === name) };
    this.problems = new Problems({ list: this.find("wb-problems"), summary: this.find("wb-summary"), texts: this.texts,
      onReveal: (file, id) => this.reveal(file, id), onChange: () => this.deployer && this.deployer.update() });
    this.simulation = new Simulation(this, this.find("wb-simulate-body"));
    this.deployer = new Deploy(this, { note: this.find("deploy-note"), button: this.find("deploy-button"),
      reason: this.find("deploy-reason"), result: this.find("deploy-result") });
    for (const [name, xml] of this.data.files) await this.addFile(name, xml);
    this.show(this.data.main_file || this.tabs.keys().next().value);
    this.wireTools();
    this.wireUpload();
    this.dirty = false;     // changed since opened or deployed: leaving the page asks first
    window.addEventListener("beforeunload", (event) => { if (this.dirty) event.preventDefault(); });
    this.root.dataset.ready = "true";
    await this.check();
  }

  files() {
    return [...this.tabs.values()];
  }

  current() {
    return this.tabs.get(this.shown);
  }

  async xmlFiles() {
    const saved = await Promise.all(this.files().map(async ({ name, modeler }) => [name, (await modeler.saveXML({ format: true })).xml]));
    return Object.fromEntries(saved);
  }

  // --- files ---------------------------------------------------------------------------------
  async addFile(name, xml) {
    const existing = this.tabs.get(name);
    if (existing) {
      await existing.modeler.importXML(xml);
      existing.fitted = false;
      return existing;
    }
    const canvas = Object.assign(document.createElement("div"), { className: "wb-canvas", hidden: true });
    canvas.id = `wb-canvas-${this.tabs.size}`;
    canvas.setAttribute("role", "tabpanel");
    canvas.setAttribute("aria-label", name);
    const panel = Object.assign(document.createElement("div"), { className: "wb-panel", hidden: true });
    this.find("wb-canvases").append(canvas);
    this.find("wb-properties").append(panel);
    const modeler = new Modeler({
      container: canvas,
      propertiesPanel: { parent: panel, layout: { groups: OPEN_GROUPS } },
      linting: { bpmnlint: lintConfig, active: true },
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, propertiesModule, lintModule,
        { escrowCatalog: ["value", this.catalog], translate: ["value", translation(document.documentElement.lang)] }],
      moddleExtensions: { spiffworkflow },
    });
    lenient(modeler.get("moddle"));
    modeler.on("import.parse.complete", ({ definitions }) => definitions &&
      definitions.get("rootElements").filter((r) => is(r, "bpmn:Process")).forEach(linkFlows));
    modeler.on("linting.completed", ({ issues }) => {
      this.problems.setLint(name, issues);
      this.problems.mark(name, modeler);
    });
    modeler.on("commandStack.changed", () => this.changed());
    try {
      await modeler.importXML(xml);
    } catch (error) {
      modeler.destroy();
      canvas.remove();
      panel.remove();
      throw error;
    }
    const entry = { name, modeler, canvas, panel, tab: this.tabButton(name, canvas.id) };
    this.tabs.set(name, entry);
    return entry;
  }

  tabButton(name, controls) {
    const wrap = document.createElement("span");
    wrap.className = "wb-file";
    const tab = Object.assign(document.createElement("button"), { type: "button", textContent: name });
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", controls);
    tab.dataset.file = name;
    tab.addEventListener("click", () => this.show(name));
    wrap.append(tab);
    if (name !== this.data.main_file) {
      const remove = Object.assign(document.createElement("button"), { type: "button", className: "wb-remove", textContent: "×" });
      remove.setAttribute("aria-label", this.texts.removeFile.replace("%s", name));
      remove.title = remove.getAttribute("aria-label");
      remove.addEventListener("click", () => this.removeFile(name));
      wrap.append(remove);
    }
    this.find("wb-files").append(wrap);
    return tab;
  }

  removeFile(name) {
    const entry = this.tabs.get(name);
    if (!entry || !window.confirm(this.texts.confirmRemove.replace("%s", name))) return;
    entry.modeler.destroy();
    [entry.canvas, entry.panel, entry.tab.parentElement].forEach((node) => node.remove());
    this.tabs.delete(name);
    this.problems.dropFile(name);
    if (this.shown === name) this.show(this.data.main_file || this.tabs.keys().next().value);
    this.changed();
  }

  show(name) {
    this.shown = name;
    this.files().forEach((entry) => {
      const on = entry.name === name;
      entry.canvas.hidden = !on;
      entry.panel.hidden = !on;
      entry.tab.setAttribute("aria-selected", String(on));
    });
    const entry = this.tabs.get(name);
    const canvas = entry.modeler.get("canvas");
    canvas.resized();
    if (!entry.fitted) {
      canvas.zoom("fit-viewport", "auto");
      entry.fitted = true;
    }
  }

  reveal(file, id) {
    const entry = (file && this.tabs.get(file)) || this.files().find(({ modeler }) => modeler.get("elementRegistry").get(id));
    if (!entry) return;
    this.show(entry.name);
    const element = entry.modeler.get("elementRegistry").get(id);
    if (!element) return;
    this.tool("properties");
    entry.modeler.get("canvas").scrollToElement(element);
    entry.modeler.get("selection").select(element);
  }

  wireUpload() {
    const input = this.find("wb-upload");
    input.addEventListener("change", async () => {
      const file = input.files[0];
      if (!file) return;
      const name = file.name.replace(/\.xml$/i, ".bpmn").replace(/[^\w.-]+/g, "_");
      const status = this.find("wb-status");
      try {
        if (!FILE_NAME.test(name)) throw new Error(this.texts.bpmnOnly);
        const replaced = this.tabs.has(name);
        await this.addFile(name, await file.text());
        this.show(name);
        status.textContent = (replaced ? this.texts.replaced : this.texts.added).replace("%s", name);
        this.changed();
      } catch (error) {
        status.textContent = `${this.texts.uploadFailed.replace("%s", name)} ${error.message}`;
      }
      input.value = "";
    });
  }

  // --- side panel --------------------------------------------------------------------------------
  wireTools() {
    this.root.querySelectorAll("[data-tool]").forEach((button) =>
      button.addEventListener("click", () => this.tool(button.dataset.tool)));
  }

  tool(name) {
    this.root.querySelectorAll("[data-tool]").forEach((button) => {
      const on = button.dataset.tool === name;
      button.setAttribute("aria-selected", String(on));
      this.find(button.getAttribute("aria-controls")).hidden = !on;
    });
    if (name === "simulate") this.simulation.render();
    if (name === "deploy") this.deployer.update();
  }

  // --- checks ------------------------------------------------------------------------------------
  changed() {
    this.dirty = true;
    this.simulation.clear();
    this.problems.checking();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), CHECK_DELAY_MS);
  }

  async check() {
    const seq = ++this.checkSeq;
    this.problems.checking();
    try {
      const files = await this.xmlFiles();
      const name = encodeURIComponent(this.data.name);
      const [validation, impact] = await Promise.all([
        api("/api/v1/models/validate", { method: "POST", body: { files } }),
        api(`/api/v1/models/${name}/deploy-check`, { method: "POST", body: { files } })]);
      if (seq !== this.checkSeq) return;
      this.problems.setEngine([...validation.problems, ...impact.problems]);
    } catch (error) {
      if (seq !== this.checkSeq) return;
      this.problems.failed(error.message);
    }
    this.files().forEach(({ name, modeler }) => this.problems.mark(name, modeler));
  }

  deployed(version) {
    this.dirty = false;
    this.version = version;
    document.getElementById("wb-version").textContent = this.texts.basedOn.replace("%s", version);
  }
}
