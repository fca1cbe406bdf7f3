package patch

import (
	"fmt"
	"strconv"
	"strings"
)

// Op is one patch operation as AWS sends it. Value is always a string on the
// wire (booleans as "true", numbers as "100" or "100.000000", objects as JSON
// text). An absent member and an empty string are indistinguishable here.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
	From  string `json:"from"`
}

// The operation names in AWS's PatchOperation.op enum.
const (
	Add     = "add"
	Remove  = "remove"
	Replace = "replace"
	Move    = "move"
	Copy    = "copy"
	Test    = "test"
)

// opEnum is the enum value set in the order AWS prints it in validation errors.
const opEnum = "[add, remove, move, test, replace, copy]"

// ValidationError is a request that fails AWS's model-level constraints. It maps
// to ValidationException (HTTP 400); Message is the exact text AWS sends.
type ValidationError struct {
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

// NewValidationError joins constraint violations into one error with AWS's
// framing: "1 validation error detected: v1" or "N validation errors detected:
// v1; v2; ...". It returns nil when there are no violations. Callers that also
// check other members (e.g. statusCode) append their violations after the
// ones from OpViolations, which is the order AWS reports them in.
func NewValidationError(violations []string) error {
	switch len(violations) {
	case 0:
		return nil
	case 1:
		return &ValidationError{Message: "1 validation error detected: " + violations[0]}
	}
	return &ValidationError{Message: strconv.Itoa(len(violations)) +
		" validation errors detected: " + strings.Join(violations, "; ")}
}

// OpViolations returns one AWS-worded violation per op whose name is not in the
// enum, in request order, e.g. "Value 'wrong' at
// 'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint:
// Member must satisfy enum value set: [add, remove, move, test, replace, copy]".
// Indexes are 1-based. inputName is the operation's input shape with a lower
// first letter, e.g. "updateRestApiInput". An empty op is treated as absent
// (AWS does not enum-check null members) and is left to the caller.
func OpViolations(ops []Op, inputName string) []string {
	var out []string
	for i, op := range ops {
		if op.Op == "" || knownOp(op.Op) {
			continue
		}
		out = append(out, fmt.Sprintf(
			"Value '%s' at '%s.patchOperations.%d.member.op' failed to satisfy constraint: Member must satisfy enum value set: %s",
			op.Op, inputName, i+1, opEnum))
	}
	return out
}

// ValidateOps checks every op name against AWS's enum. On failure it returns a
// *ValidationError whose Message reproduces AWS exactly (see OpViolations and
// NewValidationError).
func ValidateOps(ops []Op, inputName string) error {
	return NewValidationError(OpViolations(ops, inputName))
}

func knownOp(s string) bool {
	switch s {
	case Add, Remove, Replace, Move, Copy, Test:
		return true
	}
	return false
}
