package authorizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Effect is what a policy decides for a method ARN.
type Effect int

// Effects.
const (
	// NoMatch: no statement covers the ARN (implicit deny).
	NoMatch Effect = iota
	// Allow: an Allow statement covers it and no Deny does.
	Allow
	// Deny: a Deny statement covers it (Deny wins over Allow).
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "no matching statement"
}

// invokeAction is the action API Gateway asks a policy about, lower-cased
// (IAM matches actions case-insensitively).
const invokeAction = "execute-api:invoke"

// MaxResourceLen is the longest Resource AWS accepts in a policy.
const MaxResourceLen = 512

// Policy is a compiled policy document: only the statements about
// execute-api:Invoke are kept, each with its resource patterns. It is
// immutable and Decide does not allocate.
type Policy struct {
	allow []string // resource patterns of Allow statements
	deny  []string // resource patterns of Deny statements
}

// ParsePolicy compiles a policy document (the reply's policyDocument):
// {"Version": string, "Statement": statement or [statement, …]}, each
// statement {"Effect": "Allow"|"Deny", "Action": string or list,
// "Resource": string or list}; "Sid" is ignored. NotAction, NotResource,
// Principal and Condition are refused: Gatehouse does not evaluate them,
// and ignoring them would widen what the policy allows.
func ParsePolicy(doc []byte) (*Policy, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil || top == nil {
		return nil, fmt.Errorf("policyDocument: %s is not a JSON object", preview(doc))
	}
	v, ok := top["Version"]
	if !ok {
		return nil, fmt.Errorf("policyDocument: Version is missing (a policy has Version and Statement)")
	}
	var version string
	if err := json.Unmarshal(v, &version); err != nil {
		return nil, fmt.Errorf("policyDocument.Version: %s is not a string", preview(v))
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, fmt.Errorf("policyDocument: Statement is missing (a policy has Version and Statement)")
	}
	var stmts []json.RawMessage
	if t := firstByte(raw); t == '[' {
		if err := json.Unmarshal(raw, &stmts); err != nil {
			return nil, fmt.Errorf("policyDocument.Statement: %s is not a list of statements", preview(raw))
		}
	} else {
		stmts = []json.RawMessage{raw}
	}
	p := &Policy{}
	for i, s := range stmts {
		if err := p.addStatement(i, s); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Policy) addStatement(i int, raw json.RawMessage) error {
	var st map[string]json.RawMessage
	if err := json.Unmarshal(raw, &st); err != nil || st == nil {
		return fmt.Errorf("policyDocument.Statement[%d]: %s is not an object", i, preview(raw))
	}
	for _, k := range []string{"NotAction", "NotResource", "Principal", "NotPrincipal", "Condition"} {
		if _, ok := st[k]; ok {
			return fmt.Errorf("policyDocument.Statement[%d]: %s is not supported in authorizer policies by Gatehouse (use Action and Resource)", i, k)
		}
	}
	var effect string
	if err := json.Unmarshal(st["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return fmt.Errorf("policyDocument.Statement[%d].Effect: %s must be \"Allow\" or \"Deny\"", i, preview(st["Effect"]))
	}
	actions, err := stringOrList(st["Action"])
	if err != nil {
		return fmt.Errorf("policyDocument.Statement[%d].Action: %w", i, err)
	}
	resources, err := stringOrList(st["Resource"])
	if err != nil {
		return fmt.Errorf("policyDocument.Statement[%d].Resource: %w", i, err)
	}
	for _, r := range resources {
		if len(r) > MaxResourceLen {
			return fmt.Errorf("policyDocument.Statement[%d].Resource: %q is longer than %d characters", i, r[:32]+"…", MaxResourceLen)
		}
	}
	invoke := false
	for _, a := range actions {
		if Match(strings.ToLower(a), invokeAction) {
			invoke = true
			break
		}
	}
	if !invoke {
		return nil // about other actions: irrelevant to API Gateway
	}
	if effect == "Allow" {
		p.allow = append(p.allow, resources...)
	} else {
		p.deny = append(p.deny, resources...)
	}
	return nil
}

// stringOrList reads a string or a non-empty list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, fmt.Errorf("is missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("%s is neither a string nor a list of strings", preview(raw))
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("is an empty list")
	}
	return l, nil
}

// Decide evaluates the policy for a method ARN: Deny when a Deny statement
// covers it, else Allow when an Allow statement does, else NoMatch. It
// does not allocate.
func (p *Policy) Decide(methodARN string) Effect {
	for _, r := range p.deny {
		if Match(r, methodARN) {
			return Deny
		}
	}
	for _, r := range p.allow {
		if Match(r, methodARN) {
			return Allow
		}
	}
	return NoMatch
}

// Resources returns the policy's Allow and Deny resource patterns about
// execute-api:Invoke (for details; callers must not modify them).
func (p *Policy) Resources() (allow, deny []string) { return p.allow, p.deny }

// Match reports whether s matches an IAM wildcard pattern: "*" matches any
// run of characters (including "/" and ":"), "?" exactly one character,
// everything else itself, case-sensitively. It does not allocate.
func Match(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; {
			case c == '*':
				star, mark = p, i
				p++
				continue
			case c == '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				p, i = p+1, i+n
				continue
			case c == s[i]:
				p, i = p+1, i+1
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Backtrack: the last "*" takes one more character.
		_, n := utf8.DecodeRuneInString(s[mark:])
		mark += n
		p, i = star+1, mark
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// preview quotes the start of a JSON value for an error.
func preview(raw []byte) string {
	if raw == nil {
		return "(missing)"
	}
	s := string(raw)
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return s
}
