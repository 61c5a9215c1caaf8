// Package deploy holds what operators deploy beside the binary: the proxy configuration of compose.yaml, the
// Prometheus alert rules and the Grafana dashboard. It has no code; its tests check these files and the Dockerfile,
// compose.yaml, Procfile and railway.toml at the repository's root against what the service really does.
package deploy
