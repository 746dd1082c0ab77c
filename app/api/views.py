"""The wired system, as the API views reach it."""
from flask import current_app


def system():
    return current_app.extensions["escrow"]
