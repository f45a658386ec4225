"""The examples folder: every example reads, has its line in examples/README.md, and fills in
for every shipped environment; a bad example.yaml is refused with its file and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from modules.teams.kubernetes import SECRET_STORE_NAME
from tools.examples.catalog import EXAMPLES_DIR, ExampleError, load_example, load_examples
from tools.examples.render import render_example
from tools.examples.variables import SECRET_STORE, choose_target

LAB_SECTIONS = ("microservice", "nginx", "aws-identity", "scheduling", "spot", "statefulset", "fargate", "efs", "secrets", "rbac")


def test_every_lab_section_has_an_example_with_a_readme_line() -> None:
    examples = load_examples()
    readme = (EXAMPLES_DIR / "README.md").read_text()
    assert len(examples) >= len(LAB_SECTIONS)
    for section in LAB_SECTIONS:
        assert any(section in e.name for e in examples), section
    for example in examples:
        assert f"[{example.name}]({example.name}/)" in readme, f"examples/README.md has no line for {example.name}"


def test_placeholders_fill_for_every_shipped_environment(environments: dict) -> None:
    for env in environments.values():
        if not env.teams:
            continue
        target = choose_target(env, [])
        for example in load_examples():
            if example.chart is None and target.applies(example) is None:
                rendered = render_example(example, target, None)
                assert "${" not in rendered.manifest, (env.name, example.name)
                assert all(o["metadata"]["namespace"] in env.teams[target.team].namespaces for o in rendered.objects)


def test_secret_store_name_is_the_platforms() -> None:
    assert SECRET_STORE == SECRET_STORE_NAME


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("lab: x\nshows: y\nneeds: [gpu]\n", "needs"),
        ("lab: x\n", "shows"),
        ("lab: x\nshows: y\nsmoke: [{teleport: a}]\n", "smoke.0"),
        ("lab: x\nshows: y\ncolour: red\n", "colour"),
    ],
)
def test_bad_example_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "example.yaml").write_text(text)
    (tmp_path / "bad" / "manifests.yaml").write_text("{}\n")
    with pytest.raises(ExampleError, match=rf"bad/example.yaml: .*{field}"):
        load_example(tmp_path / "bad")


def test_unknown_placeholder_names_file(environments: dict, tmp_path: Path) -> None:
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "example.yaml").write_text("lab: x\nshows: y\n")
    (tmp_path / "odd" / "manifests.yaml").write_text("kind: ConfigMap\nmetadata: {name: a}\ndata: {x: ${NOPE}}\n")
    with pytest.raises(ExampleError, match=r"odd/manifests.yaml: unknown placeholder \$\{NOPE\}"):
        render_example(load_example(tmp_path / "odd"), choose_target(environments["prod"], []), None)
