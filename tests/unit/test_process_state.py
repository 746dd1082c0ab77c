"""The stored engine state reads back as the data that was written, whichever JSON wrote it."""
import base64
import json
import zlib

from app.store import process_state

STATE = {"v": 1, "spec_hash": "ab" * 32, "workflow": {"tasks": [
    {"id": "6f1c", "state": 64, "data": {"depositor": {"last_name": "Жданова", "amount": 1250000000},
                                          "rate": 0.1, "big": 2 ** 70, "flags": [True, False, None]}}],
    "data": {"code_ttl": "PT300S", "nested": {"1": [], "e": 1e-05}}}}


def test_a_state_reads_back_as_written():
    text = process_state.encode(STATE)
    assert text.startswith(process_state.PREFIX)
    assert process_state.decode(text) == STATE


def test_states_written_before_are_read():
    plain = json.dumps(STATE)
    compressed = process_state.PREFIX + base64.b64encode(zlib.compress(plain.encode(), 1)).decode("ascii")
    assert process_state.decode(plain) == STATE
    assert process_state.decode(compressed) == STATE
