package state

import (
	"maps"
	"slices"
)

// PlansOnStage returns the usage plans attached to a stage (by its Ref
// "apiId/stage"), sorted by id. It walks every plan: it is for
// diagnostics (explain's fix sentences), never for a served request.
func (s *State) PlansOnStage(ref string) []*Plan {
	ps := s.plans.Load()
	var out []*Plan
	for _, id := range slices.Sorted(maps.Keys(ps.byID)) {
		if p := ps.byID[id]; p.Stages[ref] != nil {
			out = append(out, p)
		}
	}
	return out
}
