"""Pod Security Admission: does a pod spec pass a namespace's ``enforce`` level at its version.

A port of the checks of k8s.io/pod-security-admission (policy/check_*.go) as they stand at
version 1.35, the version every shipped environment pins (``pod-security.kubernetes.io/enforce-
version``). It is judged by upstream's own fixtures before it judges an example:
``tests/examples/test_psa.py`` runs it over every ``pass/`` and ``fail/`` Pod of
``test/testdata/{baseline,restricted}/v1.35`` (vendored in ``tests/examples/psa_fixtures``).
Other versions are refused rather than guessed.

    violations(pod_spec, pod_annotations, level="restricted", version="1.35") -> [(check id, detail)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Obj = dict[str, Any]
SUPPORTED_VERSIONS = ("1.35",)
LEVELS = ("privileged", "baseline", "restricted")

# check_capabilities_baseline.go
BASELINE_CAPABILITIES = frozenset(
    {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
)
# check_sysctls.go, sysctlsAllowedV1Dot32 (in force from 1.32 to 1.36)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)
# check_seLinuxOptions.go, selinuxAllowedTypes1_31
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
# check_restrictedVolumes.go: the only volume sources restricted allows
RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"})
VOLUME_META = frozenset({"name"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


class UnsupportedVersion(ValueError):
    pass


def containers(spec: Obj) -> Iterator[Obj]:
    """Init, regular and ephemeral containers (policy/visitor.go visitContainers)."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def _sc(obj: Obj) -> Obj:
    return obj.get("securityContext") or {}


def _windows(spec: Obj) -> bool:
    return (spec.get("os") or {}).get("name") == "windows"


def _user_namespace(spec: Obj) -> bool:
    """relaxPolicyForUserNamespacePod: ``hostUsers: false``."""
    return spec.get("hostUsers") is False


def host_namespaces(spec: Obj, meta: Obj) -> str | None:
    bad = [k for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k) is True]
    return f"{', '.join(bad)}=true" if bad else None


def privileged(spec: Obj, meta: Obj) -> str | None:
    bad = [c.get("name") for c in containers(spec) if _sc(c).get("privileged") is True]
    return f"containers {bad} must not set securityContext.privileged=true" if bad else None


def capabilities_baseline(spec: Obj, meta: Obj) -> str | None:
    added = {a for c in containers(spec) for a in (_sc(c).get("capabilities") or {}).get("add") or [] if a not in BASELINE_CAPABILITIES}
    return f"non-default capabilities {sorted(added)}" if added else None


def host_path_volumes(spec: Obj, meta: Obj) -> str | None:
    bad = [v.get("name") for v in spec.get("volumes") or [] if "hostPath" in v]
    return f"hostPath volumes {bad}" if bad else None


def host_ports(spec: Obj, meta: Obj) -> str | None:
    bad = [p.get("hostPort") for c in containers(spec) for p in c.get("ports") or [] if p.get("hostPort")]
    return f"hostPort {bad}" if bad else None


def apparmor(spec: Obj, meta: Obj) -> str | None:
    allowed = ("RuntimeDefault", "Localhost")
    bad: list[tuple[Any, Any]] = [("pod", _sc(spec)["appArmorProfile"].get("type"))] if "appArmorProfile" in _sc(spec) else []
    bad = [b for b in bad if b[1] not in allowed]
    bad += [(c.get("name"), _sc(c)["appArmorProfile"].get("type")) for c in containers(spec) if "appArmorProfile" in _sc(c)]
    bad = [b for b in bad if b[1] not in allowed]
    for key, value in (meta.get("annotations") or {}).items():
        if key.startswith(APPARMOR_ANNOTATION) and value and value != "runtime/default" and not value.startswith("localhost/"):
            bad.append((key, value))
    return f"AppArmor profile {bad}" if bad else None


def selinux(spec: Obj, meta: Obj) -> str | None:
    def invalid(opts: Obj) -> bool:
        return opts.get("type", "") not in SELINUX_TYPES or bool(opts.get("user")) or bool(opts.get("role"))

    setters = [o for o in [_sc(spec).get("seLinuxOptions"), *(_sc(c).get("seLinuxOptions") for c in containers(spec))] if o is not None]
    bad = [o for o in setters if invalid(o)]
    return f"seLinuxOptions {bad}" if bad else None


def _proc_mount(spec: Obj) -> str | None:
    bad = [c.get("name") for c in containers(spec) if _sc(c).get("procMount") not in (None, "Default")]
    return f"containers {bad} must not set securityContext.procMount other than Default" if bad else None


def proc_mount_baseline(spec: Obj, meta: Obj) -> str | None:
    return None if _user_namespace(spec) else _proc_mount(spec)


def proc_mount_restricted(spec: Obj, meta: Obj) -> str | None:
    return _proc_mount(spec)


def seccomp_baseline(spec: Obj, meta: Obj) -> str | None:
    profiles = [_sc(spec).get("seccompProfile"), *(_sc(c).get("seccompProfile") for c in containers(spec))]
    bad = [p for p in profiles if p is not None and p.get("type") == "Unconfined"]
    return "seccompProfile.type Unconfined" if bad else None


def sysctls(spec: Obj, meta: Obj) -> str | None:
    bad = [s.get("name") for s in _sc(spec).get("sysctls") or [] if s.get("name") not in SAFE_SYSCTLS]
    return f"forbidden sysctls {bad}" if bad else None


def windows_host_process(spec: Obj, meta: Obj) -> str | None:
    flags = [_sc(spec), *(_sc(c) for c in containers(spec))]
    return "windowsOptions.hostProcess=true" if any((f.get("windowsOptions") or {}).get("hostProcess") is True for f in flags) else None


def host_probes(spec: Obj, meta: Obj) -> str | None:
    hosts = []
    for c in containers(spec):
        handlers = [c.get(p) for p in ("livenessProbe", "readinessProbe", "startupProbe")]
        handlers += [(c.get("lifecycle") or {}).get(h) for h in ("postStart", "preStop")]
        for handler in handlers:
            for action in ("httpGet", "tcpSocket"):
                host = ((handler or {}).get(action) or {}).get("host")
                if host:
                    hosts.append((c.get("name"), host))
    return f"probe or lifecycle hosts {hosts}" if hosts else None


def restricted_volumes(spec: Obj, meta: Obj) -> str | None:
    # A volume with no source is defaulted to emptyDir by the API server (SetDefaults_Volume).
    bad = [v.get("name") for v in spec.get("volumes") or [] if not (set(v) - VOLUME_META) <= RESTRICTED_VOLUMES]
    return f"volumes {bad} use a volume type restricted does not allow" if bad else None


def allow_privilege_escalation(spec: Obj, meta: Obj) -> str | None:
    if _windows(spec):
        return None
    bad = [c.get("name") for c in containers(spec) if _sc(c).get("allowPrivilegeEscalation") is not False]
    return f"containers {bad} must set securityContext.allowPrivilegeEscalation=false" if bad else None


def run_as_non_root(spec: Obj, meta: Obj) -> str | None:
    if _user_namespace(spec):
        return None
    pod = _sc(spec).get("runAsNonRoot")
    explicit = [c.get("name") for c in containers(spec) if _sc(c).get("runAsNonRoot") is False]
    if pod is False or explicit:
        return f"pod or containers {explicit} must not set securityContext.runAsNonRoot=false"
    implicit = [c.get("name") for c in containers(spec) if _sc(c).get("runAsNonRoot") is None and pod is not True]
    return f"pod or containers {implicit} must set securityContext.runAsNonRoot=true" if implicit else None


def run_as_user(spec: Obj, meta: Obj) -> str | None:
    if _user_namespace(spec):
        return None
    bad = [n for n, sc in [("pod", _sc(spec)), *((c.get("name"), _sc(c)) for c in containers(spec))] if sc.get("runAsUser") == 0]
    return f"{bad} must not set runAsUser=0" if bad else None


def seccomp_restricted(spec: Obj, meta: Obj) -> str | None:
    if _windows(spec):
        return None
    valid = ("RuntimeDefault", "Localhost")
    pod = _sc(spec).get("seccompProfile")
    explicit = [c.get("name") for c in containers(spec) if "seccompProfile" in _sc(c) and (_sc(c)["seccompProfile"] or {}).get("type") not in valid]
    if (pod is not None and pod.get("type") not in valid) or explicit:
        return f"pod or containers {explicit} must not set securityContext.seccompProfile.type other than RuntimeDefault or Localhost"
    if pod is not None:
        return None
    implicit = [c.get("name") for c in containers(spec) if "seccompProfile" not in _sc(c)]
    return f'pod or containers {implicit} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"' if implicit else None


def capabilities_restricted(spec: Obj, meta: Obj) -> str | None:
    if _windows(spec):
        return None
    problems = []
    for c in containers(spec):
        caps = _sc(c).get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f'container {c.get("name")!r} must set securityContext.capabilities.drop=["ALL"]')
        extra = [a for a in caps.get("add") or [] if a != "NET_BIND_SERVICE"]
        if extra:
            problems.append(f"container {c.get('name')!r} must not add {extra}")
    return "; ".join(problems) or None


Check = Callable[[Obj, Obj], "str | None"]
# (id, level, check, ids it overrides): the registry at 1.35 (policy/registry.go drops overridden checks).
CHECKS: tuple[tuple[str, str, Check, tuple[str, ...]], ...] = (
    ("hostNamespaces", "baseline", host_namespaces, ()),
    ("privileged", "baseline", privileged, ()),
    ("capabilities_baseline", "baseline", capabilities_baseline, ()),
    ("hostPathVolumes", "baseline", host_path_volumes, ()),
    ("hostPorts", "baseline", host_ports, ()),
    ("appArmorProfile", "baseline", apparmor, ()),
    ("seLinuxOptions", "baseline", selinux, ()),
    ("procMount", "baseline", proc_mount_baseline, ()),
    ("seccompProfile_baseline", "baseline", seccomp_baseline, ()),
    ("sysctls", "baseline", sysctls, ()),
    ("windowsHostProcess", "baseline", windows_host_process, ()),
    ("hostProbesAndHostLifecycle", "baseline", host_probes, ()),
    ("restrictedVolumes", "restricted", restricted_volumes, ("hostPathVolumes",)),
    ("allowPrivilegeEscalation", "restricted", allow_privilege_escalation, ()),
    ("runAsNonRoot", "restricted", run_as_non_root, ()),
    ("runAsUser", "restricted", run_as_user, ()),
    ("seccompProfile_restricted", "restricted", seccomp_restricted, ("seccompProfile_baseline",)),
    ("capabilities_restricted", "restricted", capabilities_restricted, ("capabilities_baseline",)),
    ("procMount_restricted", "restricted", proc_mount_restricted, ("procMount",)),
)


def violations(spec: Obj, annotations: dict[str, str] | None = None, *, level: str, version: str) -> list[tuple[str, str]]:
    """(check id, detail) of every check the pod fails at ``level``/``version`` (empty: admitted)."""
    version = version.removeprefix("v")
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(f"Pod Security version {version}: only {', '.join(SUPPORTED_VERSIONS)} is implemented and proven against upstream fixtures")
    if level not in LEVELS:
        raise ValueError(f"Pod Security level {level!r}: one of {', '.join(LEVELS)}")
    if level == "privileged":
        return []
    active = [c for c in CHECKS if c[1] == "baseline" or level == "restricted"]
    overridden = {o for c in active for o in c[3]}
    meta = {"annotations": annotations or {}}
    return [(cid, detail) for cid, _, check, _ in active if cid not in overridden and (detail := check(spec, meta))]
