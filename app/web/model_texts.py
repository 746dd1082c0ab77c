"""What the model editor's script says, in the reader's language (the page hands these texts to
app/web/assets/workbench/*.js; `%s`, `%e`, `%w`, `%n` are filled in there)."""
from flask_babel import gettext as _


def N_(text: str) -> str:
    """Marks a text for translation; translated where it is used."""
    return text


# The fixed messages of bpmnlint's recommended rules, as the linter writes them (its own words;
# the list shows them in the reader's language)
LINT_MESSAGES = (
    N_("Element is not connected"), N_("Element is an implicit end"), N_("Element is an implicit start"),
    N_("Element is missing label/name"), N_("Element is missing bpmndi"), N_("Element overlaps with other element"),
    N_("Element is outside of parent boundary"), N_("Flow splits implicitly"), N_("Gateway forks and joins"),
    N_("Incoming flows do not join"), N_("Gateway is superfluous. It only has one source and target."),
    N_("Sequence flow has superfluous label"), N_("Sequence flow is missing condition"),
    N_("Duplicate incoming sequence flows"), N_("Duplicate outgoing sequence flows"), N_("SequenceFlow is a duplicate"),
    N_("Event has multiple event definitions"), N_("Start event must be blank"),
    N_("Start event is missing event definition"), N_("Termination is superfluous."),
    N_("An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>"),
    N_("Link event is missing link name"), N_("Conditional event is missing a condition"),
)


def editor_texts() -> dict:
    return {
        # properties panel
        "handler": _("Handler"), "noHandler": _("(no handler)"), "chooseHandler": _("Choose what this step calls."),
        "unknownHandler": _("The application has no handler of this name."),
        "readOnly": _("Read-only: it changes nothing in the bank."), "readOnlyShort": _("read-only"),
        "undoneBy": _("Undone by %s."), "undoes": _("Undoes %s."),
        "parameter": _("Parameter %s"), "parameterHelp": _("A Python expression over the process data."),
        "retries": _("Retries"), "retryMax": _("Attempts (retry.max_attempts)"),
        "retryBase": _("First back-off, seconds (retry.base_s)"),
        "retryHelp": _("Empty: the application's default."), "number": _("Enter a number."),
        "formAndLane": _("Form and lane"), "form": _("Form"), "noForm": _("(no form)"),
        "chooseForm": _("The form the person fills in (forms/)."), "unknownForm": _("There is no form of this name in forms/."),
        "lane": _("Lane"), "laneHelp": _("Who works the task; choosing a lane moves the task into it."),
        "noLanes": _("The process has no lanes: every user task is the depositor's."),
        "orderStatus": _("Order status"), "status": _("Status it sets"), "noStatus": _("(none)"),
        "statusHelp": _("The order's status while it waits here, or when it ends here."),
        "compensation": _("Compensation"), "noCompensation": _("Nothing undoes this step if a later one fails."),
        "addCompensation": _("Add a compensation handler"), "removeCompensation": _("Remove the compensation"),
        "showHandler": _("Show the handler"), "undoneByStep": _("Undone by '%s'"), "undoName": _("Undo: %s"),
        "suggested": _("It will call %s, the handler that undoes this one."),
        # problems; bpmnlint's messages of the recommended rules that name no element
        "lint": {message: _(message) for message in LINT_MESSAGES},
        "engine": _("engine"), "error": _("Error"), "warning": _("Warning"), "line": _("line"),
        "checking": _("Checking…"), "checkFailed": _("The check could not run."), "noProblems": _("No problems."),
        "counts": _("%e errors, %w warnings"), "stillChecking": _("Wait: the model is being checked."),
        "fixErrors": _("Deploy is disabled: %s errors remain (see Problems)."),
        # files
        "removeFile": _("Remove %s from the bundle"), "confirmRemove": _("Remove %s from the bundle?"),
        "bpmnOnly": _("Only .bpmn files can be added."), "added": _("%s added to the bundle; it is being checked."),
        "replaced": _("%s replaced; it is being checked."), "uploadFailed": _("%s could not be read:"),
        "startFailed": _("The editor could not start:"), "basedOn": _("based on version %s"),
        # deploy
        "writeNote": _("Write a note: what changed and why."), "readyToDeploy": _("Ready to deploy."),
        "versionN": _("version %s"), "deployed": _("Deployed as a new version: new orders take it, running orders keep theirs."),
        "nothingChanged": _("Nothing changed since"), "whatChanged": _("what changed"),
        "deployRefused": _("The server refused the deployment: see Problems."), "deployFailed": _("The deployment failed:"),
        # simulation
        "simulateHelp": _("Say what each step does; the server runs the model on its engine. Nothing is stored and "
                          "no bank is called."),
        "startData": _("Start data (JSON)"), "serviceSteps": _("Service steps"), "userSteps": _("People's decisions"),
        "outcomes": {"ok": _("succeeds"), "fail": _("fails after its retries"), "error": _("business error")},
        "errorCode": _("error code"), "undoStep": _("undo step"), "anyDecision": _("(default data)"),
        "moreData": _("more data (JSON)"), "sendMessage": _("A message during the run"), "message": _("Message"),
        "noMessage": _("(none)"), "afterStep": _("after"), "runSimulation": _("Run the simulation"), "running": _("Running…"),
        "badJson": _("The data is not valid JSON:"), "simulationRefused": _("The model has errors: fix them first (see Problems)."),
        "simulationFailed": _("The simulation failed:"), "endedAt": _("ended at"), "waitingAt": _("Waits at"),
        "compensationOrder": _("Undone, in this order"), "pathTaken": _("Path taken"),
        "clearSimulation": _("Clear the simulation"), "undoneNth": _("Undone %n.: by %s"),
        "statuses": {"completed": _("Completed"), "waiting": _("Waiting"), "incident": _("Incident: a person must act"),
                     "failed": _("Failed")},
        "events": {"completed": _("done"), "failed": _("failed"), "cancelled": _("cancelled"), "error": _("business error"),
                   "incident": _("incident")},
    }
