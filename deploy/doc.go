// Package deploy holds keypad's deployment files (Dockerfile,
// docker-compose.yml, haproxy.cfg, kubernetes/, systemd/) and the tests
// that check them as far as a machine without a container runtime or a
// cluster can: see docs/deployment.md.
package deploy
