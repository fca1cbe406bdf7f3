// Package repotest holds repository-wide checks that run with go test:
// every package documents itself once, and the dependency rules between
// packages (which ones may import what) hold. It has no non-test code and
// nothing imports it.
package repotest
