package redis

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// A pending fold must expire from Redis before the store forgets that it
// was written, or a fold written just before its node died could be
// written again after the store forgot its claim.
func TestFoldKeepBelowUsageBatchKeep(t *testing.T) {
	if foldKeep >= store.UsageBatchKeep {
		t.Fatalf("foldKeep %v >= store.UsageBatchKeep %v", foldKeep, store.UsageBatchKeep)
	}
	if defaultFoldStale >= foldKeep {
		t.Fatalf("defaultFoldStale %v >= foldKeep %v: folds of dead nodes would expire unwritten", defaultFoldStale, foldKeep)
	}
}
