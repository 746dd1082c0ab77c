"""Constants the simulated bank core is seeded with; the app seeds its projects from here."""

BANK_BIK = "044525555"  # this (fictional) bank's BIK; accounts below carry a matching key

# Developer companies' projects with their settlement accounts at the bank.
PROJECTS = [
    {"id": "p-dev1-sunrise", "name": "Sunrise Residence", "developer": "dev-1",
     "developer_name": "Sunrise Development LLC", "developer_account": "40702810400000000001"},
    {"id": "p-dev2-riverside", "name": "Riverside Park", "developer": "dev-2",
     "developer_name": "Riverside Construction JSC", "developer_account": "40702810700000000002"},
]

# Client records already in the core. 4510 123456 is one client; 4510 654321 has two
# records (data-quality duplicates with slightly different names and birth dates).
CLIENTS = [
    {"client_id": "C00000001", "last_name": "Ivanov", "first_name": "Ivan",
     "middle_name": "Ivanovich", "birth_date": "1985-03-14", "phone": "+79161234567",
     "passport": {"series": "4510", "number": "123456", "issued_on": "2005-04-01",
                  "issuer_code": "770-001"}},
    {"client_id": "C00000002", "last_name": "Petrova", "first_name": "Anna",
     "middle_name": "Sergeevna", "birth_date": "1990-07-21", "phone": "+79031112233",
     "passport": {"series": "4510", "number": "654321", "issued_on": "2010-08-10",
                  "issuer_code": "770-002"}},
    {"client_id": "C00000003", "last_name": "Petrova", "first_name": "Anna",
     "middle_name": "Sergeyevna", "birth_date": "1990-07-12", "phone": "+79031112233",
     "passport": {"series": "4510", "number": "654321", "issued_on": "2010-08-10",
                  "issuer_code": "770-002"}},
]

# The ministry's list of invalid passports (series, number): compliance refuses them.
INVALID_PASSPORTS = {("4500", "000001"), ("4500", "000002")}

# Compliance refuses anyone with this last name (stand-in for the 115-FZ lists).
BLOCKED_LAST_NAMES = {"blocked"}
