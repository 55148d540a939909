"""Kubernetes semantics written once: workloads, label selectors, quantities, images."""
