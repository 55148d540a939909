"""Write a realistic, reproducible corpus of N documents for the benchmark.

Each "app" is a Deployment with its HPA, Service, NetworkPolicy, PodDisruptionBudget and
ConfigMap (six Kubernetes documents), spread over a handful of namespaces; half the apps keep
their manifests in one multi-document file, half in one file per object. Every tenth app also
gets a Dockerfile, a docker-compose file and a GitHub Actions workflow. About one app in five
carries violations (a root container, a `latest` image, a missing CPU request behind the HPA,
an HPA fighting the Deployment's `replicas:`), so the run does real reporting work.

`--bad-share S` sets that share of violating apps (0 to 1, default 0.2): the number of findings
then scales with S while the files and documents stay the same (a broken app has the same
objects), which is what the benchmark's memory-per-finding sweep needs. `--sidecars K` gives every
Deployment K more containers, as hardened or as broken as its first: many findings per file.

Usage: python benchmarks/generate_corpus.py OUT_DIR N [--bad-share S] [--sidecars K]   (N = number of documents, approximately)
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

#: The share of apps carrying violations by default.
BAD_SHARE = 0.2
NAMESPACES = ("payments", "search", "catalog", "identity", "platform", "web", "data", "ops")
DOCS_PER_APP = 6


def deployment(app: str, ns: str, rng: random.Random, bad: bool, sidecars: int = 0) -> str:
    """A Deployment with probes, resources and a hardened securityContext (or a broken one), and
    `sidecars` more containers set up the same way (broken ones make a dozen findings each)."""
    tag = "latest" if bad and rng.random() < 0.5 else f"1.{rng.randint(0, 9)}.{rng.randint(0, 30)}"
    image = f"registry.example.com/{ns}/{app}:{tag}"
    security = (
        "            securityContext:\n              runAsUser: 0\n"
        if bad
        else "            securityContext:\n"
        "              allowPrivilegeEscalation: false\n"
        "              readOnlyRootFilesystem: true\n"
        "              capabilities: {drop: [ALL]}\n"
    )
    cpu_request = "" if bad else "                cpu: 100m\n"
    replicas = "  replicas: 3\n" if bad else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
  labels: {{app: {app}, team: {ns}}}
spec:
{replicas}  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}, team: {ns}}}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {{type: RuntimeDefault}}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels: {{app: {app}}}
      containers:
          - name: {app}
            image: {image}
            ports:
              - {{name: http, containerPort: 8080}}
            envFrom:
              - configMapRef: {{name: {app}-config}}
            env:
              - name: LOG_LEVEL
                value: info
            resources:
              requests:
{cpu_request}                memory: 128Mi
              limits:
                memory: 256Mi
            readinessProbe:
              httpGet: {{path: /ready, port: http}}
            livenessProbe:
              httpGet: {{path: /live, port: 8080}}
{security}{sidecar_blocks(app, image, cpu_request, security, sidecars)}"""


def sidecar_blocks(app: str, image: str, cpu_request: str, security: str, sidecars: int) -> str:
    """The extra containers of a Deployment, as hardened or as broken as its first one."""
    return "".join(f"""          - name: {app}-side-{number}
            image: {image}
            resources:
              requests:
{cpu_request}                memory: 64Mi
              limits:
                memory: 128Mi
            readinessProbe:
              tcpSocket: {{port: {9000 + number}}}
            livenessProbe:
              tcpSocket: {{port: {9000 + number}}}
{security}""" for number in range(1, sidecars + 1))


def hpa(app: str, ns: str, rng: random.Random) -> str:
    """An autoscaling/v2 HPA on CPU utilisation."""
    return f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}
  namespace: {ns}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {app}
  minReplicas: {rng.choice((2, 3))}
  maxReplicas: {rng.choice((6, 10, 20))}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
"""


def service(app: str, ns: str) -> str:
    """A ClusterIP Service selecting the app on its named port."""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {ns}
spec:
  selector: {{app: {app}}}
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def network_policy(app: str, ns: str) -> str:
    """Ingress from the same team, egress to DNS only."""
    return f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}
  namespace: {ns}
spec:
  podSelector:
    matchLabels: {{app: {app}}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchLabels: {{team: {ns}}}
      ports:
        - {{port: 8080, protocol: TCP}}
  egress:
    - to:
        - namespaceSelector:
            matchLabels: {{kubernetes.io/metadata.name: kube-system}}
          podSelector:
            matchLabels: {{k8s-app: kube-dns}}
      ports:
        - {{port: 53, protocol: UDP}}
        - {{port: 53, protocol: TCP}}
"""


def pdb(app: str, ns: str) -> str:
    """A PodDisruptionBudget keeping one pod up."""
    return f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {app}
  namespace: {ns}
spec:
  minAvailable: 1
  selector:
    matchLabels: {{app: {app}}}
"""


def config_map(app: str, ns: str, rng: random.Random) -> str:
    """Plain settings, a few dozen lines."""
    lines = "".join(f"  SETTING_{i}: \"{rng.randint(0, 10_000)}\"\n" for i in range(rng.randint(5, 30)))
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: {ns}
data:
  APP_NAME: {app}
{lines}"""


def dockerfile(app: str, bad: bool) -> str:
    """A two-stage build; the bad ones run as root from a mutable tag."""
    user = "" if bad else "USER 10001\n"
    base = "python:latest" if bad else "python:3.12-slim"
    return f"""# syntax=docker/dockerfile:1
FROM {base} AS build
WORKDIR /src
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \\
    && rm -rf /root/.cache
COPY . .

FROM python:3.12-slim
WORKDIR /app
COPY --from=build /src /app
{user}EXPOSE 8080
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8080/live')"
CMD ["python", "-m", "{app.replace('-', '_')}"]
"""


def compose(app: str, bad: bool) -> str:
    """An app with its database; the bad ones publish the database and hard-code a password."""
    password = "admin" if bad else "${DB_PASSWORD:?set DB_PASSWORD}"
    ports = '      - "5432:5432"\n' if bad else '      - "127.0.0.1:5432:5432"\n'
    return f"""services:
  {app}:
    build: .
    image: registry.example.com/{app}:1.0.0
    ports:
      - "127.0.0.1:8080:8080"
    environment:
      DATABASE_URL: postgres://app@db:5432/app
    depends_on: [db]
  db:
    image: postgres:16.4
    environment:
      POSTGRES_PASSWORD: {password}
    ports:
{ports}    mem_limit: 512m
"""


def workflow(app: str, bad: bool) -> str:
    """Build and test; the bad ones pin actions to tags and interpolate a secret into a shell."""
    checkout = "actions/checkout@v4" if bad else "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
    login = (
        "      - run: echo ${{ secrets.REGISTRY_PASSWORD }} | docker login -u ci --password-stdin\n" if bad else ""
    )
    return f"""name: {app}
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    timeout-minutes: 15
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - run: make test
{login}"""


def generate(out: Path, documents: int, seed: int = 6, bad_share: float = BAD_SHARE, sidecars: int = 0) -> dict[str, int]:
    """Write the corpus under `out`; returns counts of files and documents by kind.

    `bad_share` is the share of apps with violations. The layout (which apps, folders, files and
    documents) depends on `documents` only, so sets of any share have the same files and documents.
    `sidecars` adds containers to every Deployment: broken apps then make many findings per file
    (the finding-heavy shape of real repositories), and the bytes stay about the same for any share."""
    rng = random.Random(seed)
    counts = {"files": 0, "kubernetes": 0, "dockerfile": 0, "compose": 0, "github-actions": 0}
    app_number = 0
    written = 0
    while written < documents:
        ns = NAMESPACES[app_number % len(NAMESPACES)]
        app = f"app-{app_number:05d}"
        bad = rng.random() < bad_share
        objects = [
            ("deployment", deployment(app, ns, rng, bad, sidecars)),
            ("hpa", hpa(app, ns, rng)),
            ("service", service(app, ns)),
            ("networkpolicy", network_policy(app, ns)),
            ("pdb", pdb(app, ns)),
            ("configmap", config_map(app, ns, rng)),
        ]
        objects = objects[: max(1, min(DOCS_PER_APP, documents - written))]
        folder = out / "k8s" / ns / app
        folder.mkdir(parents=True, exist_ok=True)
        if app_number % 2:
            (folder / "all.yaml").write_text("---\n".join(text for _, text in objects), encoding="utf-8")
            counts["files"] += 1
        else:
            for name, text in objects:
                (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
                counts["files"] += 1
        counts["kubernetes"] += len(objects)
        written += len(objects)
        if app_number % 10 == 0 and written < documents:
            service_dir = out / "services" / app
            service_dir.mkdir(parents=True, exist_ok=True)
            workflows = out / ".github" / "workflows"
            workflows.mkdir(parents=True, exist_ok=True)
            (service_dir / "Dockerfile").write_text(dockerfile(app, bad), encoding="utf-8")
            (service_dir / "docker-compose.yml").write_text(compose(app, bad), encoding="utf-8")
            (workflows / f"{app}.yml").write_text(workflow(app, bad), encoding="utf-8")
            counts["files"] += 3
            counts["dockerfile"] += 1
            counts["compose"] += 1
            counts["github-actions"] += 1
            written += 3
        app_number += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: OUT_DIR N [--bad-share S]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, metavar="OUT_DIR")
    parser.add_argument("documents", type=int, metavar="N", help="number of documents (approximately)")
    parser.add_argument("--bad-share", type=float, default=BAD_SHARE, help="share of apps with violations (0 to 1)")
    parser.add_argument("--sidecars", type=int, default=0, help="extra containers per Deployment (default: none)")
    args = parser.parse_args(argv)
    if not 0 <= args.bad_share <= 1:
        parser.error("--bad-share must be between 0 and 1")
    counts = generate(args.out, args.documents, bad_share=args.bad_share, sidecars=args.sidecars)
    print(" ".join(f"{key}={value}" for key, value in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
