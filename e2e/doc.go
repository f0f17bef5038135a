// Package e2e holds tests that drive a running motcua from outside, over
// HTTP, as clients do. They are built only with the prodlocal tag and run
// by `make test-prod-local` (scripts/prod-local.sh --test) against the
// production shape: temporal-server on PostgreSQL, two APIs behind
// `motcua proxy`, two workers.
package e2e
