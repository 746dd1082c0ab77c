"""The checks of BPMN elements, registered by element type (see validation.Validator).

Each check is `check(validator, node, scope)` (scope checks: `check(validator, scope)`,
definition checks: `check(validator, node)`), reports through `validator.report` and never
raises, so one run finds every problem. Register a new check with @element("type", ...),
@common, @scope_check or @definition: structure.py holds the checks of how elements connect,
elements.py those of what each element says, constructs.py the rules of boundary events, event
sub-processes, transactions, links, multi-instance, timer cycles and conditional events.
"""
from lxml import etree

from ..bpmn_xml import NS, PYTHON_LANGUAGES
from ..event_parsers import triggered_by_event  # noqa: F401  (for the checks)

COMMON_CHECKS = []          # run on every flow element (and on each process)
ELEMENT_CHECKS = {}         # element type -> checks
DEFINITION_CHECKS = {}      # children of bpmn:definitions (message, error, ...) -> checks
SCOPE_CHECKS = []           # run on each process and sub-process, with its Scope


def _registrar(table):
    def for_types(*types):
        def register(fn):
            for name in types:
                table.setdefault(name, []).append(fn)
            return fn
        return register
    return for_types


element = _registrar(ELEMENT_CHECKS)           # @element("serviceTask"): a check of that type
definition = _registrar(DEFINITION_CHECKS)     # @definition("error"): of a bpmn:definitions child


def common(fn):
    COMMON_CHECKS.append(fn)
    return fn


def scope_check(fn):
    SCOPE_CHECKS.append(fn)
    return fn


def spiff_text(node, name):
    """The text of an extension element spiffworkflow:<name> of node, if it has any."""
    found = node.find(f"bpmn:extensionElements/spiffworkflow:{name}", NS)
    return found if found is not None and (found.text or "").strip() else None


def named(node) -> str:
    return f" (named {node.get('name')!r})" if node.get("name") else ""


def prefixed(node, tag) -> str:
    """A namespaced tag or attribute name as the file writes it ('camunda:asyncBefore')."""
    qname = etree.QName(tag)
    prefix = next((p for p, uri in node.nsmap.items() if uri == qname.namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def is_python(v, node, language, at) -> bool:
    """Scripts and conditions are Python: report any other declared language."""
    if (language or "").strip().lower() in PYTHON_LANGUAGES:
        return True
    v.report.error(node, f"{language} is not supported: conditions and scripts are Python", line=at.sourceline)
    return False


from . import constructs, elements, structure  # noqa: E402,F401  (registers the checks)
