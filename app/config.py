"""Every setting, read from the environment in one place.

The embedded default (no variables set) runs everything in one process: an in-process
librdkafka mock cluster, mongomock, the simulated bank core and the dev SMS outbox.
Production sets ESCROW_ENV=production, ESCROW_KAFKA_BOOTSTRAP and ESCROW_MONGO_URI.
"""
import os
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("embedded", "production")


def _env(name, default, cast=str):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if cast is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return cast(raw)


@dataclass(frozen=True)
class Settings:
    env: str = "embedded"                      # embedded | production
    host: str = "127.0.0.1"
    port: int = 5000
    kafka_bootstrap: str | None = None         # None: start the embedded mock cluster
    mongo_uri: str = "mongomock://localhost/escrow"
    topic_prefix: str = "escrow."
    consumer_group: str = "escrow-process-manager"
    embedded_workers: int = 1                  # worker threads in the embedded process
    background_cpu: str = "auto"               # the embedded process's Python threads on one CPU: auto|off|N
    run_worker_in_app: bool = True             # embedded: worker, relay, scheduler as threads
    bpmn_dir: Path = ROOT / "bpmn"
    forms_dir: Path = ROOT / "forms"
    # Retries (per service task in the model; these are the defaults)
    retry_max_attempts: int = 3
    retry_base_s: float = 1.0
    retry_max_s: float = 300.0
    # Signing by SMS code
    code_ttl_s: int = 300
    code_max_attempts: int = 3
    code_resend_s: int = 60
    code_daily_cap: int = 5
    # A code lives minutes and dies after a few tries; what keeps a database copy from
    # revealing it is the pepper (a secret outside the database), not a slow hash.
    code_hash_iterations: int = 1_000
    code_pepper: str = field(default="embedded-default-pepper", repr=False)
    sign_wait_s: float = 3.0                   # how long POST .../signature waits for SIGNED
    # Back office
    backoffice_sla_s: int = 4 * 3600
    # Limits
    max_amount_kopecks: int = 50_000_000_000   # 500 million roubles
    insured_limit_kopecks: int = 1_000_000_000  # 10 million roubles: a warning, not a limit
    # A passport issued before the 20th/45th birthday is invalid from that birthday plus this
    # many days (0: from the birthday, as domain.md says; 90 where a bank accepts the days the
    # law gives to apply for the new one)
    passport_grace_days: int = 0
    history_inline_cap: int = 20
    # Analysts' expressions and scripts, per evaluation (app/engine/sandbox): steps are loop
    # iterations, items iterated and calls of their own functions; units are characters,
    # container elements or 64 bits of an integer
    script_max_steps: int = 100_000
    script_timeout_s: float = 1.0
    script_max_value: int = 100_000            # units of the largest value read deeply or made
    script_max_alloc: int = 1_000_000          # units of all new values together
    applied_commands_cap: int = 50
    # Background loops
    scheduler_interval_s: float = 0.2
    scheduler_full_scan_s: float = 10.0         # safety net: this process's writes are hinted
    relay_interval_s: float = 0.05
    relay_full_scan_s: float = 10.0             # safety net: this process's writes are hinted
    # Bank core over HTTP (unset: the in-process simulator) and the SMS gateway (unset: dev outbox)
    bank_url: str | None = None
    bank_timeout_s: float = 10.0
    sms_url: str | None = None
    sms_user: str | None = None
    sms_password: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    # Web pages
    secret_key: str | None = field(default=None, repr=False)  # signs sessions; embedded: random per start
    display_timezone: str = "Europe/Moscow"    # how pages show times (stored and sent as UTC)
    max_request_bytes: int = 2 * 1024 * 1024   # larger bodies get 413 before they are read
    metrics_port: int | None = None            # a worker's /metrics, /healthz, /readyz (unset: none)

    @property
    def embedded(self) -> bool:
        return self.env == "embedded"

    @property
    def dev_endpoints(self) -> bool:
        """Fault injection, the SMS outbox and the Kafka address: embedded default only."""
        return self.embedded

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def with_overrides(self, **changes) -> "Settings":
        return replace(self, **changes)


_ENV_NAMES = {
    "env": "ESCROW_ENV", "host": "HOST", "port": "PORT",
    "kafka_bootstrap": "ESCROW_KAFKA_BOOTSTRAP", "mongo_uri": "ESCROW_MONGO_URI",
    "sms_url": "ESCROW_SMS_URL", "sms_user": "ESCROW_SMS_USER",
    "sms_password": "ESCROW_SMS_PASSWORD", "log_level": "ESCROW_LOG_LEVEL",
}


def env_name(field_name: str) -> str:
    return _ENV_NAMES.get(field_name, "ESCROW_" + field_name.upper())


def load_settings(**overrides) -> Settings:
    """Settings from the environment; keyword overrides win (tests, benchmark)."""
    values = {}
    for f in fields(Settings):
        # bool, int, float, Path, str; an optional field casts to its type (`int | None`: int)
        cast = type(f.default) if f.default is not None else typing.get_args(f.type)[0]
        values[f.name] = _env(env_name(f.name), f.default, cast)
    values.update(overrides)
    settings = Settings(**values)
    if settings.env not in ENVIRONMENTS:
        raise SystemExit(f"ESCROW_ENV must be one of {', '.join(ENVIRONMENTS)}, not {settings.env!r}")
    if settings.env == "production" and not settings.secret_key:
        raise SystemExit("ESCROW_ENV=production needs ESCROW_SECRET_KEY (signs the pages' sessions)")
    if settings.env == "production" and (not settings.kafka_bootstrap
                                         or settings.mongo_uri.startswith("mongomock")):
        raise SystemExit("ESCROW_ENV=production needs ESCROW_KAFKA_BOOTSTRAP and ESCROW_MONGO_URI")
    if settings.env == "production" and settings.code_pepper == Settings.code_pepper:
        raise SystemExit("ESCROW_ENV=production needs its own secret ESCROW_CODE_PEPPER")
    return settings
