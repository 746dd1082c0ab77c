"""The security tests' running system: the same fixtures as tests/e2e (one system per package)."""
from tests.e2e.conftest import api, system  # noqa: F401
