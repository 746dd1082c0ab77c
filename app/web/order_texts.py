"""What the manager's pages say about an order, in the reader's language: statuses with an
explanation and the next action, step and history entries, and the services' English field
messages. Words only: which action is allowed is decided by app/services."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# status -> (label, what it means for the manager, what to do next or None)
STATUSES = {
    "DRAFT": (_l("Received"), _l("The order is saved and waits for the process to pick it up."),
              _l("Wait: the checks start in a moment")),
    "PROCESSING": (_l("Processing"),
                   _l("The bank is checking the buyer and opening the escrow account, step by step."),
                   _l("Wait: nothing to do yet")),
    "BACKOFFICE_REVIEW": (_l("Back-office review"),
                          _l("The buyer matches several bank clients; a back-office clerk decides "
                             "which record is theirs. The order then continues by itself."),
                          _l("Wait for the back office")),
    "AWAITING_SIGNATURE": (_l("Awaiting signature"),
                           _l("The account is ready. The buyer has received an SMS code; enter it "
                              "here to sign the order."),
                           _l("Enter the buyer's SMS code")),
    "SIGNED": (_l("Signed"), _l("The buyer signed the order. The escrow account is open."), None),
    "CANCELLED": (_l("Cancelled"),
                  _l("The order was cancelled; everything the bank had done for it was undone."), None),
    "REJECTED": (_l("Rejected"),
                 _l("The bank refused the order (compliance or back-office decision). Nothing "
                    "remains open for it."), None),
    "ROLLED_BACK": (_l("Rolled back"),
                    _l("A step kept failing, so everything done before it was undone in reverse "
                       "order. You may create the order again."), None),
    "ROLLING_BACK": (_l("Rolling back"),
                     _l("A step kept failing; the bank is undoing the completed steps in reverse "
                        "order."), _l("Wait: the rollback finishes by itself")),
    "CANCELLING": (_l("Cancelling"),
                   _l("Your cancel was accepted; the bank is undoing the completed steps."),
                   _l("Wait: the cancel finishes by itself")),
    "INCIDENT": (_l("Needs an operator"),
                 _l("A step failed in a way the process cannot handle alone; an operator has been "
                    "alerted and will retry or resolve it."), _l("Wait for the operator")),
}
STEP_STATES = {"running": _l("running"), "waiting": _l("waiting"), "completed": _l("done"),
               "failed": _l("failed"), "compensating": _l("being undone"),
               "compensated": _l("undone"), "compensation_failed": _l("undoing failed"),
               "interrupted": _l("interrupted")}
HISTORY = {
    "order.created": _l("Order created"), "process.started": _l("Process started"),
    "status": _l("Status changed"), "step.completed": _l("Step done"),
    "step.attempt_failed": _l("Step attempt failed"), "step.refused": _l("Step refused"),
    "step.compensated": _l("Step undone"), "signature.code_requested": _l("New code requested"),
    "signature.rejected": _l("Wrong code entered"), "signature.confirmed": _l("Code accepted"),
    "order.signed": _l("Order signed"), "order.cancel_requested": _l("Cancel requested"),
    "task.completion_requested": _l("Back office decided"), "task.completed": _l("Back-office task done"),
    "incident.opened": _l("Incident opened"), "incident.retried": _l("Operator retried"),
    "incident.resolved": _l("Operator resolved"), "retry_incident_requested": _l("Retry requested"),
    "resolve_incident_requested": _l("Resolution requested"),
}
# what the process does by itself, whoever's command set it going
PROCESS_ACTIONS = frozenset({"status", "process.started", "step.completed", "step.attempt_failed",
                             "step.refused", "step.compensated", "incident.opened"})
# the names of the shipped model's steps (bpmn/), so the timeline reads in Russian too;
# a name an analyst changes shows as written in the model
STEP_LABELS = {
    "Compliance check (115-FZ)": _l("Compliance check (115-FZ)"),
    "Find client by ID document": _l("Find client by ID document"),
    "Create client": _l("Create client"), "Reserve escrow account": _l("Reserve escrow account"),
    "Bind to developer's account": _l("Bind to developer's account"),
    "Create depositor order": _l("Create depositor order"), "Send SMS code": _l("Send SMS code"),
    "Buyer signs by SMS code": _l("Buyer signs by SMS code"),
    "Back office resolves duplicates": _l("Back office resolves duplicates"),
    "Resolve duplicate clients": _l("Resolve duplicate clients"),
    "Expire SMS code": _l("Expire SMS code"), "Revoke SMS code": _l("Revoke SMS code"),
}
# The services' and the schema's English field messages; the others show as they are.
MESSAGES = {
    "Missing data for required field.": _l("Required."),
    "Field may not be null.": _l("Required."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid string.": _l("Not a valid text."),
    "INN of a person must be 12 digits": _l("A person's INN has 12 digits."),
    "INN check digits do not match": _l("The INN check digits do not match: check the number."),
    "SNILS must be written as NNN-NNN-NNN CC (or 11 digits)":
        _l("Write the SNILS as NNN-NNN-NNN CC (or 11 digits)."),
    "SNILS check number does not match": _l("The SNILS check number does not match."),
    "passport series must be 4 digits": _l("The passport series is 4 digits."),
    "passport number must be 6 digits": _l("The passport number is 6 digits."),
    "issuer code must be written as NNN-NNN": _l("Write the issuer code as NNN-NNN."),
    "passport issue date is in the future": _l("The issue date is in the future."),
    "passport cannot be issued before the holder turned 14":
        _l("A passport is issued at 14 at the earliest."),
    "birth date is in the future": _l("The birth date is in the future."),
    "phone must be +7 followed by 10 digits": _l("Write the phone as +7 and 10 digits."),
    "a mobile phone number is required (+79...)": _l("A mobile number is needed (+79...)."),
    "amount must be positive": _l("The amount must be above zero."),
    "must be in the future": _l("Must be a date after today."),
    "must not be in the future": _l("Must not be a date after today."),
    "unknown project for your company": _l("Choose one of your company's projects."),
    "amount exceeds the deposit insurance limit of 10 million roubles":
        _l("The amount exceeds the deposit insurance limit of 10 million roubles: the part above "
           "it is not insured."),
}
# (pattern, message from the match and the page's money filter)
PATTERNS = (
    (re.compile(r"the depositor must be at least (\d+) years old"),
     lambda m, money: _("The buyer must be at least %(age)s years old.", age=m[1])),
    (re.compile(r"passport expired: it had to be replaced at age (\d+)"),
     lambda m, money: _("The passport has expired: it had to be replaced at age %(age)s.", age=m[1])),
    (re.compile(r"amount must not exceed (\d+) kopecks"),
     lambda m, money: _("The amount must not exceed %(limit)s.", limit=money(int(m[1])))),
    (re.compile(r"Length must be between (\d+) and (\d+)\."),
     lambda m, money: _("From %(low)s to %(high)s characters.", low=m[1], high=m[2])),
    (re.compile(r"Longer than maximum length (\d+)\."),
     lambda m, money: _("At most %(high)s characters.", high=m[1])),
)


def message(text: str, money) -> str:
    """A service's English message in the reader's language (as it is when unknown)."""
    known = MESSAGES.get(text)
    if known is not None:
        return str(known)
    for pattern, say in PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return say(found, money)
    return text


def status_label(status: str) -> str:
    return str(STATUSES[status][0]) if status in STATUSES else status


def status_explanation(status: str) -> str:
    return str(STATUSES[status][1]) if status in STATUSES else ""


def next_action(status: str) -> str:
    entry = STATUSES.get(status)
    return str(entry[2]) if entry and entry[2] else ""


def step_label(label: str) -> str:
    return str(STEP_LABELS.get(label, label))


def step_state(state: str) -> str:
    return str(STEP_STATES.get(state, state))


def history_action(action: str) -> str:
    return str(HISTORY.get(action, action))


def init_app(app) -> None:
    app.jinja_env.globals.update(status_label=status_label, status_explanation=status_explanation,
                                 next_action=next_action, step_label=step_label,
                                 step_state=step_state, history_action=history_action,
                                 process_actions=PROCESS_ACTIONS)
    money = app.jinja_env.filters["money"]
    app.jinja_env.filters["service_message"] = lambda text: message(text, money)
