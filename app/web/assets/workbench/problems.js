// Every problem of the bundle in one list, from two sources: bpmnlint's recommended rules (in
// the browser, per file, as bpmn-js-bpmnlint lints) and the engine's own validation (the
// server, POST /api/v1/models/validate, plus what a deployment would break: .../deploy-check).
// Each problem marks its element (CSS class problem-error / problem-warning) and is a row of
// the list that selects the element when clicked. Errors block the deploy.
const SEVERITY_CLASS = { error: "problem-error", warning: "problem-warning" };

export class Problems {
  constructor({ list, summary, texts, onReveal, onChange }) {
    this.list = list;
    this.summary = summary;
    this.t = texts;
    this.onReveal = onReveal;
    this.onChange = onChange;
    this.lint = new Map();      // file -> [{file, element_id, severity, message, source}]
    this.engine = [];
    this.state = "checking";    // checking | done | failed
    this.failure = "";
  }

  setLint(file, issues) {
    const found = [];
    Object.entries(issues || {}).forEach(([id, elementIssues]) => elementIssues
      .filter((issue) => !issue.isChildIssue)
      .forEach((issue) => found.push({ file, element_id: id, severity: issue.category === "error" ? "error" : "warning",
        message: (this.t.lint || {})[issue.message] || issue.message, source: `bpmnlint ${issue.rule}` })));
    this.lint.set(file, found);
    this.render();
  }

  dropFile(file) {
    this.lint.delete(file);
    this.render();
  }

  checking() {
    this.state = "checking";
    this.render();
  }

  setEngine(problems) {
    this.engine = problems.map((p) => ({ ...p, source: this.t.engine }));
    this.state = "done";
    this.render();
  }

  failed(message) {
    this.state = "failed";
    this.failure = message;
    this.render();
  }

  all() {
    const problems = [...[...this.lint.values()].flat(), ...this.engine];
    // errors first; the engine's (and the deploy check's) before bpmnlint's style advice
    const rank = (p) => (p.severity === "error" ? 0 : 2) + (p.source === this.t.engine ? 0 : 1);
    return problems.sort((a, b) => rank(a) - rank(b));
  }

  errors() {
    return this.all().filter((p) => p.severity === "error");
  }

  // why the bundle may not be deployed now, or null
  blocker() {
    if (this.state === "checking") return this.t.stillChecking;
    if (this.state === "failed") return this.t.checkFailed;
    const errors = this.errors().length;
    return errors ? this.t.fixErrors.replace("%s", errors) : null;
  }

  // marks the elements of one file's modeler
  mark(file, modeler) {
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    registry.forEach((element) => Object.values(SEVERITY_CLASS).forEach((c) => canvas.removeMarker(element, c)));
    const worst = {};
    this.all().filter((p) => p.element_id && (p.file === file || (!p.file && registry.get(p.element_id))))
      .forEach((p) => { if (worst[p.element_id] !== "error") worst[p.element_id] = p.severity; });
    Object.entries(worst).forEach(([id, severity]) => {
      const element = registry.get(id);
      // the process itself is the canvas's root: its problems are in the list, not on every element
      if (element && element.parent) canvas.addMarker(element, SEVERITY_CLASS[severity]);
    });
  }

  render() {
    const all = this.all();
    const errors = all.filter((p) => p.severity === "error").length;
    const warnings = all.length - errors;
    this.summary.textContent = this.state === "checking" ? this.t.checking
      : this.state === "failed" ? `${this.t.checkFailed} ${this.failure}`
        : all.length ? this.t.counts.replace("%e", errors).replace("%w", warnings) : this.t.noProblems;
    this.summary.dataset.errors = String(errors);
    this.list.replaceChildren(...all.map((p) => this.row(p)));
    this.onChange();
  }

  row(problem) {
    const item = document.createElement("li");
    item.className = `problem problem-${problem.severity}`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "problem-link";
    button.disabled = !problem.element_id;
    button.dataset.elementId = problem.element_id || "";
    const severity = problem.severity === "error" ? this.t.error : this.t.warning;
    const where = [problem.element_id && `${problem.element_type ? problem.element_type + " " : ""}${problem.element_id}`,
      problem.file, problem.line && `${this.t.line} ${problem.line}`].filter(Boolean).join(" · ");
    button.innerHTML = "<strong></strong> <span class='problem-message'></span> <small></small>";
    button.querySelector("strong").textContent = severity;
    button.querySelector(".problem-message").textContent = problem.message;
    button.querySelector("small").textContent = `${where} · ${problem.source}`;
    button.addEventListener("click", () => this.onReveal(problem.file, problem.element_id));
    item.append(button);
    return item;
  }
}
