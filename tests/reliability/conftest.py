"""One system whose worker process is a Plant (tests/reliability/plant.py), for the whole package."""
import pytest

from app.api.factory import create_app
from app.bootstrap import build
from tests.reliability.cases import Runner
from tests.reliability.plant import PLANT_SETTINGS, Plant


@pytest.fixture(scope="package")
def plant():
    system = build(**PLANT_SETTINGS)
    plant = Plant(system)
    yield plant
    plant.close()
    system.stop()


@pytest.fixture(scope="package")
def runner(plant):
    return Runner(plant, create_app(plant.system).test_client())
