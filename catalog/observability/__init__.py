"""What the platform knows about its own telemetry: in-cluster endpoints, Grafana data sources, alert rules."""
