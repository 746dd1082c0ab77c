
from pathlib import Path

import pytest

from app.engine import ProcessEngine

FIXTURES = Path(__file__).parent / "fixtures"

HANDLERS = {
    "escrow.step1", "escrow.step2", "escrow.step3", "escrow.undo1", "escrow.undo2", "escrow.undo3",
    "escrow.reserve", "escrow.release", "sms.send_code", "sms.revoke_code", "escrow.bind",
    "op", "undo",
}


@pytest.fixture(scope="session")
def engine():
    return ProcessEngine(HANDLERS, FIXTURES / "forms")


def read(*names):
    return {name: (FIXTURES / name).read_bytes() for name in names}


@pytest.fixture(scope="session")
def model(engine):
    def parse(process_id, *names):
        return engine.parse(read(*(names or (f"{process_id}.bpmn",))), process_id)
    return parse


@pytest.fixture(params=["hand-written", "modeler"])
def style(request):
    """Run a test on the hand-written model and on the same model as a modeler exports it."""
    return request.param


@pytest.fixture
def build(engine, style):
    from .bpmn_kit import modeler_export

    def parse(xml: bytes, process_id="p"):
        return engine.parse({"p.bpmn": modeler_export(xml) if style == "modeler" else xml}, process_id)
    return parse
