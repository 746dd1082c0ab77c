"""The shipped order model bundle and edits of it, for the workbench's tests."""
from pathlib import Path

import pytest
from lxml import etree

from app.engine.bpmn_xml import BPMN, NS, SPIFF
from app.process_models import ORDER_PROCESS

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "tests" / "engine" / "fixtures" / "exports"
MAIN = "order_creation.bpmn"


def shipped() -> dict:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "bpmn").glob("*.bpmn"))}


def edit(files: dict, change, name: str = MAIN) -> dict:
    """A copy of the bundle with `change(process)` applied to the process of file `name`."""
    root = etree.fromstring(files[name].encode("utf-8"))
    change(root.find("bpmn:process", NS))
    return {**files, name: etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")}


def insert_step(process, step_id: str, name: str, handler: str, after: str, before: str) -> None:
    """A service task bound to `handler` on the flow from `after` to `before` (no diagram)."""
    flow = process.find(f"bpmn:sequenceFlow[@sourceRef='{after}'][@targetRef='{before}']", NS)
    flow.set("targetRef", step_id)
    task = etree.SubElement(process, f"{{{BPMN}}}serviceTask", id=step_id, name=name)
    ext = etree.SubElement(task, f"{{{BPMN}}}extensionElements")
    etree.SubElement(ext, f"{{{SPIFF}}}serviceTaskOperator", id=handler, resultVariable="")
    etree.SubElement(process, f"{{{BPMN}}}sequenceFlow", id=f"flow_{step_id}_out", sourceRef=step_id, targetRef=before)


def element(process, element_id: str):
    return process.find(f".//*[@id='{element_id}']")


@pytest.fixture
def restore_order_model(system):
    """The shipped order model is the latest again after the test (as a new version if the test
    deployed another), so later tests' orders run what they expect."""
    yield
    system.catalog.deploy(ORDER_PROCESS, shipped(), "tests")
