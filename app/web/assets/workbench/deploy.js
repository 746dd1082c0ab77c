// Deploy the bundle as one new version with a note (POST /api/v1/models). Disabled while the
// problems list has errors; what the server refuses anyway comes back as problems too.
import { api, ApiError } from "./api.js";

export class Deploy {
  constructor(workbench, { note, button, reason, result }) {
    this.wb = workbench;
    this.t = workbench.texts;
    Object.assign(this, { note, button, reason, result });
    this.busy = false;
    button.addEventListener("click", () => this.deploy());
    note.addEventListener("input", () => this.update());
  }

  update() {
    const blocker = this.wb.problems.blocker() || (this.note.value.trim() ? null : this.t.writeNote);
    this.button.disabled = Boolean(blocker) || this.busy;
    this.button.setAttribute("aria-describedby", "deploy-reason");
    this.reason.textContent = blocker || this.t.readyToDeploy;
  }

  async deploy() {
    const t = this.t;
    this.busy = true;
    this.update();
    try {
      const before = this.wb.version;
      const record = await api("/api/v1/models", { method: "POST",
        body: { name: this.wb.data.name, files: await this.wb.xmlFiles(), note: this.note.value.trim() } });
      const link = document.createElement("a");
      link.href = `/models/${encodeURIComponent(record.name)}/versions/${record.version}`;
      link.textContent = t.versionN.replace("%s", record.version);
      const text = record.version === before ? t.nothingChanged : t.deployed;
      this.result.replaceChildren(document.createTextNode(text + " "), link);
      if (record.version !== before) {
        const diff = document.createElement("a");
        diff.href = `/models/${encodeURIComponent(record.name)}/diff?from=${before}&to=${record.version}`;
        diff.textContent = t.whatChanged;
        this.result.append(" · ", diff);
        this.note.value = "";
      }
      this.wb.deployed(record.version);
    } catch (error) {
      this.result.textContent = error instanceof ApiError && error.body.problems
        ? t.deployRefused : `${t.deployFailed} ${error.message}`;
      if (error instanceof ApiError && error.body.problems) this.wb.problems.setEngine(error.body.problems);
    } finally {
      this.busy = false;
      this.update();
    }
  }
}
