import re
import threading
from datetime import timedelta

import pytest

from app.signing import SigningError, Throttled
from app.store.signing import SigningChallenge
from tests.unit.unit_data import NOW

PHONE = "+79161234501"


def issue(signing, now=NOW, key="k1", order_id="ord_1"):
    return signing.issue_code(order_id, PHONE, "hash-v1", now, key)


def last_code(outbox, order_id="ord_1"):
    return re.search(r"code is (\d{6})", outbox.list(order_id)[0]["text"]).group(1)


def wrong(code):
    return f"{(int(code) + 1) % 10**6:06d}"


def test_right_code_confirms_with_evidence(signing, outbox):
    issued = issue(signing)
    assert issued.sent and issued.expires_at == NOW + timedelta(seconds=300)
    result = signing.verify("ord_1", last_code(outbox), NOW + timedelta(seconds=30))
    assert (result.ok, result.reason, result.attempts_left) == (True, "ok", 2)
    state = signing.state("ord_1", NOW)
    assert state["status"] == "confirmed"
    assert state["evidence"] == {"phone": PHONE, "sent_at": "2026-11-25T10:00:00Z",
                                 "entered_at": "2026-11-25T10:00:30Z",
                                 "document_hash": "hash-v1", "code_no": 1}
    assert "code_hash" not in state and state["phone"] == "+791******01"


def test_sms_text_and_outbox(signing, outbox):
    issue(signing)
    msg = outbox.list()[0]
    assert msg["phone"] == PHONE and msg["order_id"] == "ord_1"
    assert msg["text"].startswith("Escrow order ord_1: your signing code is ")


def test_same_key_sends_once(signing, outbox):
    issue(signing)
    again = issue(signing)
    assert not again.sent and len(outbox.list("ord_1")) == 1


def test_code_never_stored_in_plain_text(signing, outbox, mongo):
    issue(signing)
    code = last_code(outbox)
    raw = str(mongo["signing_challenges"].find_one({"_id": "ord_1"}))
    assert code not in raw
    doc = SigningChallenge.objects(order_id="ord_1").first()
    assert len(doc.code_hash) == 64 and len(doc.code_salt) == 32


def test_three_wrong_codes_then_refused(signing, outbox):
    issue(signing)
    code = last_code(outbox)
    results = [signing.verify("ord_1", wrong(code), NOW) for _ in range(3)]
    assert [(r.ok, r.reason, r.attempts_left) for r in results] == [
        (False, "wrong_code", 2), (False, "wrong_code", 1), (False, "wrong_code", 0)]
    final = signing.verify("ord_1", code, NOW)
    assert (final.ok, final.reason) == (False, "no_attempts_left")


def test_concurrent_guesses_cannot_exceed_limit(signing, outbox):
    issue(signing)
    code = last_code(outbox)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        signing.verify("ord_1", wrong(code), NOW))) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.reason == "wrong_code" for r in results) == 3
    assert SigningChallenge.objects(order_id="ord_1").first().attempts_left == 0


def test_expiry(signing, outbox):
    issue(signing)
    result = signing.verify("ord_1", last_code(outbox), NOW + timedelta(seconds=300))
    assert (result.ok, result.reason) == (False, "expired")


def test_expire_and_revoke(signing, outbox):
    assert signing.verify("ord_1", "123456", NOW).reason == "no_code"
    assert signing.revoke("ord_1") is False  # nothing to revoke
    issue(signing)
    assert signing.expire("ord_1", NOW) is True
    assert signing.expire("ord_1", NOW) is False
    assert signing.verify("ord_1", last_code(outbox), NOW).reason == "expired"
    assert signing.revoke("ord_1", NOW) is True
    assert signing.verify("ord_1", last_code(outbox), NOW).reason == "no_code"


def test_resend_throttle_and_new_code(signing, outbox):
    issue(signing)
    first = last_code(outbox)
    with pytest.raises(Throttled) as e:
        signing.request_new_code("ord_1", NOW + timedelta(seconds=20))
    assert (e.value.reason, e.value.retry_after_s) == ("resend_interval", 40)
    signing.request_new_code("ord_1", NOW + timedelta(seconds=60))
    with pytest.raises(Throttled) as e:
        signing.request_new_code("ord_1", NOW + timedelta(seconds=61))
    assert e.value.reason == "resend_pending"
    issue(signing, now=NOW + timedelta(seconds=62), key="k2")
    second = last_code(outbox)
    assert len(outbox.list("ord_1")) == 2
    later = NOW + timedelta(seconds=70)
    if first != second:
        assert signing.verify("ord_1", first, later).reason == "wrong_code"
    assert signing.verify("ord_1", second, later).ok


def test_daily_cap(signing, outbox):
    t = NOW
    for i in range(5):
        if i:
            signing.request_new_code("ord_1", t)
        issue(signing, now=t, key=f"k{i}")
        t += timedelta(minutes=10)
    with pytest.raises(Throttled) as e:
        signing.request_new_code("ord_1", t)
    assert e.value.reason == "daily_cap"
    assert e.value.retry_after_s == int(timedelta(days=1).total_seconds()) - 50 * 60
    assert signing.state("ord_1", t)["codes_left_today"] == 0
    signing.request_new_code("ord_1", NOW + timedelta(days=1, seconds=1))


def test_request_without_code_or_after_confirm(signing, outbox):
    # No challenge on record (a rebuilt database): the first request is allowed and recorded,
    # a second one right after is throttled like any other.
    signing.request_new_code("ord_0", NOW)
    with pytest.raises(Throttled):
        signing.request_new_code("ord_0", NOW)
    issue(signing)
    signing.verify("ord_1", last_code(outbox), NOW)
    with pytest.raises(SigningError):
        signing.request_new_code("ord_1", NOW + timedelta(minutes=5))
    # a repeated submission of the confirmed code still reads as ok, a wrong one does not
    assert signing.verify("ord_1", last_code(outbox), NOW).ok
    assert not signing.verify("ord_1", wrong(last_code(outbox)), NOW).ok


def test_dead_code_can_be_replaced(signing, outbox):
    issue(signing)
    for _ in range(3):
        signing.verify("ord_1", wrong(last_code(outbox)), NOW)
    signing.request_new_code("ord_1", NOW + timedelta(seconds=60))
    issue(signing, now=NOW + timedelta(seconds=61), key="k2")
    result = signing.verify("ord_1", last_code(outbox), NOW + timedelta(seconds=62))
    assert result.ok and result.attempts_left == 2
