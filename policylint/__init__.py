"""policylint: policy-as-code linter for Kubernetes, Dockerfiles, compose files and CI pipelines."""

__version__ = "0.1.0"
