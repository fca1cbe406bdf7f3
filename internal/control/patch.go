package control

import "github.com/gatehouse-dev/gatehouse/internal/patch"

// Every Update* operation applies its patch operations through a
// patch.Table declared next to it (keyPatch, stagePatch, ...): the paths it
// takes, the ops each path takes and the setter of each. These are the op
// lists they share.
var (
	replaceOp        = []string{patch.Replace}
	addRemove        = []string{patch.Add, patch.Remove}
	addRemoveReplace = []string{patch.Add, patch.Remove, patch.Replace}
)
