"""Who is asking: a signed-in user (session) or an API client (bearer token), as one value."""
from dataclasses import dataclass

MANAGER, BACKOFFICE, ANALYST, ADMIN = "manager", "backoffice", "analyst", "admin"
ROLES = (MANAGER, BACKOFFICE, ANALYST, ADMIN)


@dataclass(frozen=True)
class Caller:
    id: str
    name: str
    role: str
    company: str | None

    def sees_company(self, company: str) -> bool:
        return self.role != MANAGER or self.company == company

MODELLERS = (ANALYST, ADMIN)  # who works on process models
