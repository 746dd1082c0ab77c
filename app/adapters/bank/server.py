"""`python -m app.adapters.bank.server`: the simulated bank core as an HTTP service, so any
number of worker processes share one bank (configure them with ESCROW_BANK_URL).

Serves every BankCore method at `POST /bank/v1/<method>` (see app.adapters.bank.http), the
simulator's admin side (fault injection, the books per order) at `POST /admin/v1/<method>`
(the methods of SimulatorAdmin, e.g. `set_fault`, `effects`, `snapshot_for_order`) and
`GET /healthz`. Prints its URL as the first line of stdout.
"""
import argparse

from flask import Flask, jsonify

from app.adapters import rpc
from app.adapters.bank.admin import SimulatorAdmin
from app.adapters.bank.http import ADMIN_PATH, PORT_PATH, encode_error
from app.adapters.bank.port import BankCore
from app.adapters.bank.simulated import SimulatedBank


def create_app(bank: SimulatedBank | None = None) -> Flask:
    bank = bank if bank is not None else SimulatedBank()
    app = Flask("bank-simulator")
    app.register_blueprint(rpc.blueprint("bank", BankCore, bank, encode_error), url_prefix=PORT_PATH)
    app.register_blueprint(rpc.blueprint("admin", SimulatorAdmin, bank, encode_error), url_prefix=ADMIN_PATH)
    app.get("/healthz")(lambda: jsonify(status="ok"))
    app.extensions["bank"] = bank
    return app


def main() -> None:
    from app.serving import serve
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0: any free port")
    args = parser.parse_args()
    serve(create_app, args.host, args.port, name="bank-simulator")


if __name__ == "__main__":
    main()
