package redis

import (
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/counters"
)

// SetFoldHook makes hook run at the stages of b's usage flushes ("taken",
// "written"); its error ends the flush there, as if the node died.
func SetFoldHook(b counters.Backend, hook func(stage string) error) { b.(*Backend).foldHook = hook }

// FoldStale is how old another node's fold must be before b writes it.
func FoldStale(b counters.Backend) time.Duration { return b.(*Backend).foldStale }
