"""IAM lint gate: every policy document in the synthesized stacks through parliament.

parliament (https://github.com/duo-labs/parliament, pinned in requirements.txt) checks a policy
against AWS's own Service Authorization Reference (its bundled ``iam_definition.json``): actions
that do not exist, condition keys an action does not support, resource ARNs of the wrong form or
matching no resource type of the action, unknown principals and operators.

Documents checked: every ``policy`` / ``assume_role_policy`` string attribute of every resource
(IAM policies and role policies, trust policies, S3 bucket, KMS key, SQS queue and EFS file
system policies), ``inline_policy`` blocks of ``aws_iam_role``, and the statements of
``data.aws_iam_policy_document`` rendered into a policy.

Terraform references inside a document (``${aws_s3_bucket.x.arn}``, cross-stack outputs) have no
value at synth time; each is replaced by a well-formed example of what it refers to (an S3 bucket
ARN for a bucket's ``arn``), so the ARN checks still see the right resource type. A reference the
table below does not know is a finding of its own (``UNRESOLVED_REFERENCE``): add its kind here
rather than letting the linter guess.

A finding passes only when the resource carries the reason next to it, as the checkov gate does
(``modules.shared.iam_lint.accept``: ``"//": {"iam_lint_accept": {"<ISSUE>": "<reason>"}}``); an
acceptance for an issue the resource no longer has is reported (``STALE_ACCEPT:<ISSUE>``).

    python -m tools.gates.iam_lint [cdktf.out/stacks]   # exit 1 on any finding without a reason
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACCEPT_KEY = "iam_lint_accept"
POLICY_ATTRIBUTES = ("policy", "assume_role_policy")
# parliament's finding groups (its config.yaml) the gate enforces: documents that are wrong
# (unparseable, unknown actions/prefixes/operators/principals, conditions an action does not
# support, type mismatches, ARNs of the wrong form or matching no resource of the action). Left
# out: NOT_IDEAL and OLD, style advice such as RESOURCE_STAR ("Resource": "*" where an ARN could be
# given), which KMS key policies cannot follow (their Resource is always "*") and which the checkov
# gate's IAM checks already judge with reasons.
GATED_GROUPS = frozenset({"ERROR", "MALFORMED", "INVALID", "LOGICAL_INCONSISTANCY", "BAD_PATTERN"})
# parliament 1.6.4 knows SAML providers and four fixed web-identity hosts as ``Federated``
# principals, not IAM OIDC identity providers (``arn:aws:iam::<account>:oidc-provider/<host>``),
# which IRSA and GitHub Actions trust: "AWS JSON policy elements: Principal", federated web
# identity principals, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
# Such a finding on an OIDC provider ARN is the tool's gap, not the policy's, and is dropped;
# any other federation source still fails.
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/[^/\s]+(/.+)?$")
# Nor the condition keys such a provider adds to sts:AssumeRoleWithWebIdentity, ``<provider>:aud``,
# ``<provider>:sub`` and ``<provider>:amr`` ("Available keys for AWS OIDC federation",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
# Dropped only for that action and only for a provider the same document trusts.
_WIF_KEY = re.compile(r"^Unknown condition (?P<provider>\S+):(aud|sub|amr) for action sts:AssumeRoleWithWebIdentity$")

_ACCOUNT = "123456789012"
_OIDC_ISSUER = "oidc.eks.{region}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
# What a reference's value looks like, by the resource type and attribute it names. Cross-stack
# outputs carry both in their name (``...cross-stack-output-aws_kms_keyeks_kms_key_1B08AED4arn``).
_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("aws_iam_openid_connect_provider", "arn", "arn:aws:iam::{account}:oidc-provider/" + _OIDC_ISSUER),
    ("aws_iam_role", "arn", "arn:aws:iam::{account}:role/example"),
    ("aws_iam_policy", "arn", "arn:aws:iam::{account}:policy/example"),
    ("aws_s3_bucket", "arn", "arn:aws:s3:::example-bucket"),
    ("aws_kms_key", "arn", "arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("aws_sqs_queue", "arn", "arn:aws:sqs:{region}:{account}:example"),
    ("aws_cloudwatch_event_rule", "arn", "arn:aws:events:{region}:{account}:rule/example"),
    ("aws_cloudwatch_log_group", "arn", "arn:aws:logs:{region}:{account}:log-group:example"),
    ("aws_efs_file_system", "arn", "arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-0123456789abcdef0"),
    ("aws_eks_cluster", "arn", "arn:aws:eks:{region}:{account}:cluster/example"),
    ("aws_vpc", "id", "vpc-0123456789abcdef0"),
    ("aws_caller_identity", "account_id", "{account}"),
    ("aws_partition", "partition", "aws"),
    ("aws_region", "name", "{region}"),
)
# ``replace(<cluster>.identity[0].oidc[0].issuer, "https://", "")``: the issuer host and path, as
# IRSA trust policies use it in their condition keys.
_ISSUER = re.compile(r"^replace\(.*aws_eks_cluster.*identity.*oidc.*issuer\s*,\s*\"https://\"\s*,\s*\"\"\)$", re.S)


@dataclass(frozen=True)
class Finding:
    stack: str
    resource: str  # <type>.<name> (data sources: data.<type>.<name>)
    attribute: str
    issue: str
    detail: str
    reason: str | None  # the accepted reason, None when not accepted


def _references(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, expression) of every ``${...}`` in ``text`` (braces and strings balanced)."""
    i = 0
    while (start := text.find("${", i)) != -1:
        depth, j, quoted = 0, start + 1, False
        while j < len(text):
            ch = text[j]
            if quoted:
                if ch == "\\":
                    j += 1
                elif ch == '"':
                    quoted = False
            elif ch == '"':
                quoted = True
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        yield start, j + 1, text[start + 2 : j]
        i = j + 1


def example_value(expression: str, region: str, known: dict[str, str] | None = None) -> str | None:
    """A well-formed stand-in for a Terraform reference (``known``: exact values this stack
    determines, such as an OIDC provider's ARN from its literal URL), or None when unknown."""
    expression = expression.strip()
    if known and expression in known:
        return known[expression]
    if _ISSUER.match(expression):
        return _OIDC_ISSUER.format(region=region)
    for type_, attribute, example in _EXAMPLES:
        direct = re.fullmatch(rf"(data\.)?{type_}\.[\w-]+\.{attribute}", expression)
        cross_stack = "cross-stack-output-" in expression and re.search(rf"cross-stack-output-{type_}[\w-]*{attribute}$", expression)
        if direct or cross_stack:
            return example.format(region=region, account=_ACCOUNT)
    return None


def resolve(text: str, region: str, known: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """``text`` with every reference replaced by its example value, and the references left unknown."""
    out, unknown, last = [], [], 0
    for start, end, expression in _references(text):
        value = example_value(expression, region, known)
        out.append(text[last:start])
        if value is None:
            unknown.append(expression)
            value = "UNRESOLVED"
        out.append(value)
        last = end
    out.append(text[last:])
    return "".join(out), unknown


def _document_from_data(body: dict[str, Any]) -> str:
    """The policy JSON a ``data.aws_iam_policy_document`` renders, from its statement blocks."""
    statements = []
    for block in body.get("statement", []):
        stmt: dict[str, Any] = {"Effect": block.get("effect", "Allow")}
        if "sid" in block:
            stmt["Sid"] = block["sid"]
        for key, element in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"), ("not_resources", "NotResource")):
            if key in block:
                stmt[element] = block[key]
        for key, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            for principal in block.get(key, []):
                stmt.setdefault(element, {})[principal["type"]] = principal["identifiers"]
        for condition in block.get("condition", []):
            stmt.setdefault("Condition", {}).setdefault(condition["test"], {})[condition["variable"]] = condition["values"]
        statements.append(stmt)
    return json.dumps({"Version": body.get("version", "2012-10-17"), "Statement": statements})


def documents(doc: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(resource address, attribute, policy text, resource body) of every policy in a stack."""
    for type_, by_name in doc.get("resource", {}).items():
        for name, body in by_name.items():
            for attribute in POLICY_ATTRIBUTES:
                if isinstance(body.get(attribute), str):
                    yield f"{type_}.{name}", attribute, body[attribute], body
            for i, inline in enumerate(body.get("inline_policy") or []):
                if isinstance(inline, dict) and isinstance(inline.get("policy"), str):
                    yield f"{type_}.{name}", f"inline_policy[{i}].policy", inline["policy"], body
    for name, body in doc.get("data", {}).get("aws_iam_policy_document", {}).items():
        yield f"data.aws_iam_policy_document.{name}", "json", _document_from_data(body), body


def _region(doc: dict[str, Any]) -> str:
    providers = doc.get("provider", {}).get("aws") or [{}]
    region = providers[0].get("region") if isinstance(providers, list) else None
    return region if isinstance(region, str) and "${" not in region else "us-east-1"


def _as_resource_policy(parsed: dict[str, Any], role_arn: str) -> dict[str, Any]:
    """A trust policy as the resource policy it is: its resource is the role itself. parliament
    reads every document as having a Resource, and a trust policy has none."""
    statements = parsed.get("Statement")
    for stmt in statements if isinstance(statements, list) else [statements]:
        if isinstance(stmt, dict) and "Resource" not in stmt and "NotResource" not in stmt:
            stmt["Resource"] = role_arn
    return parsed


def _known(doc: dict[str, Any]) -> dict[str, str]:
    """References whose value the stack itself fixes: an OIDC provider's ARN from its literal URL."""
    known = {}
    for name, body in doc.get("resource", {}).get("aws_iam_openid_connect_provider", {}).items():
        url = body.get("url")
        if isinstance(url, str) and "${" not in url:
            known[f"aws_iam_openid_connect_provider.{name}.arn"] = f"arn:aws:iam::{_ACCOUNT}:oidc-provider/{url.removeprefix('https://')}"
    return known


def lint_document(text: str, region: str, *, trust_of: str | None = None, known: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(issue, detail) of every gated parliament finding in one document; ``trust_of`` names the
    role whose trust policy ``text`` is."""
    import parliament

    resolved, unknown = resolve(text, region, known)
    found = [("UNRESOLVED_REFERENCE", f"no example value for ${{{e}}} (add its kind to tools/gates/iam_lint.py)") for e in unknown]
    try:
        parsed = json.loads(resolved)
    except ValueError as exc:
        return [*found, ("MALFORMED_JSON", str(exc))]
    if trust_of is not None and isinstance(parsed, dict):
        resolved = json.dumps(_as_resource_policy(parsed, f"arn:aws:iam::{_ACCOUNT}:role/{trust_of}"))
    policy = parliament.analyze_policy_string(resolved, ignore_private_auditors=True, config=parliament.config)
    for finding in map(parliament.enhance_finding, policy.findings):
        if parliament.config[finding.issue].get("group") not in GATED_GROUPS:
            continue
        if finding.issue == "UNKNOWN_FEDERATION_SOURCE" and _OIDC_PROVIDER_ARN.match(str(finding.detail)):
            continue
        wif = _WIF_KEY.match(str(finding.detail)) if finding.issue == "UNKNOWN_CONDITION_FOR_ACTION" else None
        if wif and f':oidc-provider/{wif.group("provider")}"' in resolved:
            continue
        where = {k: v for k, v in (finding.location or {}).items() if k != "filepath"}
        found.append((finding.issue, f"{finding.detail} {where}".strip()))
    return found


def accepted(body: dict[str, Any]) -> dict[str, str]:
    return dict(body.get("//", {}).get(ACCEPT_KEY) or {})


def lint_stack(stack: str, doc: dict[str, Any]) -> list[Finding]:
    region = _region(doc)
    known = _known(doc)
    found: list[Finding] = []
    issues_by_resource: dict[str, set[str]] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for address, attribute, text, body in documents(doc):
        bodies[address] = body
        reasons = accepted(body)
        trust_of = None
        if attribute == "assume_role_policy":
            name = body.get("name")
            trust_of = name if isinstance(name, str) and "${" not in name else "example"
        for issue, detail in lint_document(text, region, trust_of=trust_of, known=known):
            issues_by_resource.setdefault(address, set()).add(issue)
            found.append(Finding(stack, address, attribute, issue, detail, reasons.get(issue)))
    for address, body in bodies.items():
        for issue in accepted(body):
            if issue not in issues_by_resource.get(address, set()):
                found.append(Finding(stack, address, "-", f"STALE_ACCEPT:{issue}", "an acceptance for an issue this resource does not have", None))
    return found


def evaluate(stacks_root: Path) -> list[Finding]:
    """Every finding over every ``<stack>/cdk.tf.json`` under ``stacks_root``, accepted or not."""
    found: list[Finding] = []
    for path in sorted(stacks_root.glob("*/cdk.tf.json")):
        found += lint_stack(path.parent.name, json.loads(path.read_text()))
    return sorted(found, key=lambda f: (f.stack, f.resource, f.attribute, f.issue, f.detail))


def main(argv: list[str]) -> int:
    from tools.cli import guarded

    return guarded("tools.gates.iam_lint", lambda: _main(argv))


def _main(argv: list[str]) -> int:
    from tools.cli import UserError

    roots = [Path(a) for a in argv] or [ROOT / "cdktf.out" / "stacks"]
    unaccepted = 0
    for root in roots:
        if not root.is_dir():
            raise UserError(f"{root} does not exist: run `make synth` first")
        for f in evaluate(root):
            status = f"accepted: {f.reason}" if f.reason else "NOT ACCEPTED"
            print(f"{f.stack} {f.resource} {f.attribute}: {f.issue} {f.detail} -- {status}")
            unaccepted += f.reason is None
    if unaccepted:
        print(f"iam_lint: {unaccepted} finding(s) without an accepted reason", file=sys.stderr)
        return 1
    print("iam_lint: no unaccepted findings")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
