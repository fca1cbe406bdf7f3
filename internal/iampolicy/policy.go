package iampolicy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
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

// ShorthandPrefix starts a resource policy's Resource written relative to
// its API, as AWS accepts: "execute-api:/{stage}/{METHOD}/{path}".
const ShorthandPrefix = "execute-api:/"

// Kind says which policy a document is: the rules differ.
type Kind int

// Kinds.
const (
	// Identity is the policy a Lambda authorizer returns (policyDocument):
	// Action and Resource only; statements about other actions are ignored.
	Identity Kind = iota
	// Resource is a REST API's resource policy: Principal "*" required,
	// the supported conditions allowed, every action must cover
	// execute-api:Invoke.
	Resource
)

// Policy is a compiled policy document: only the statements about
// execute-api:Invoke are kept, each with its resource patterns and
// conditions. It is immutable and Decide and Evaluate do not allocate.
type Policy struct {
	stmts []statement
	allow []string // resource patterns of Allow statements
	deny  []string // resource patterns of Deny statements
}

type statement struct {
	effect    Effect
	label     string // "Sid \"x\" (Statement[1])" or "Statement[1]"
	resources []string
	conds     []condition
}

// ParseIdentity compiles a Lambda authorizer's policyDocument:
// {"Version": string, "Statement": statement or [statement, …]}, each
// statement {"Effect": "Allow"|"Deny", "Action": string or list,
// "Resource": string or list}; "Sid" is kept for details. NotAction,
// NotResource, Principal and Condition are refused: Gatehouse does not
// evaluate them there, and ignoring them would widen what it allows.
func ParseIdentity(doc []byte) (*Policy, error) { return parse(doc, Identity, "policyDocument") }

// ParseResource compiles a REST API's resource policy (see Kind Resource).
func ParseResource(doc []byte) (*Policy, error) { return parse(doc, Resource, "policy") }

func parse(doc []byte, kind Kind, name string) (*Policy, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil || top == nil {
		return nil, fmt.Errorf("%s: %s is not a JSON object", name, Preview(doc))
	}
	v, ok := top["Version"]
	if !ok {
		return nil, fmt.Errorf("%s: Version is missing (a policy has Version and Statement)", name)
	}
	var version string
	if err := json.Unmarshal(v, &version); err != nil {
		return nil, fmt.Errorf("%s.Version: %s is not a string", name, Preview(v))
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, fmt.Errorf("%s: Statement is missing (a policy has Version and Statement)", name)
	}
	var stmts []json.RawMessage
	if t := FirstByte(raw); t == '[' {
		if err := json.Unmarshal(raw, &stmts); err != nil {
			return nil, fmt.Errorf("%s.Statement: %s is not a list of statements", name, Preview(raw))
		}
	} else {
		stmts = []json.RawMessage{raw}
	}
	p := &Policy{}
	for i, s := range stmts {
		if err := p.addStatement(kind, fmt.Sprintf("%s.Statement[%d]", name, i), i, s); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Policy) addStatement(kind Kind, at string, i int, raw json.RawMessage) error {
	var st map[string]json.RawMessage
	if err := json.Unmarshal(raw, &st); err != nil || st == nil {
		return fmt.Errorf("%s: %s is not an object", at, Preview(raw))
	}
	refused := []string{"NotAction", "NotResource", "NotPrincipal"}
	if kind == Identity {
		refused = append(refused, "Principal", "Condition")
	}
	for _, k := range refused {
		if _, ok := st[k]; ok {
			if kind == Identity {
				return fmt.Errorf("%s: %s is not supported in authorizer policies by Gatehouse (use Action and Resource)", at, k)
			}
			return fmt.Errorf("%s: %s is not supported in resource policies by Gatehouse (use Principal, Action, Resource and Condition)", at, k)
		}
	}
	var effect string
	if err := json.Unmarshal(st["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return fmt.Errorf("%s.Effect: %s must be \"Allow\" or \"Deny\"", at, Preview(st["Effect"]))
	}
	actions, err := stringOrList(st["Action"])
	if err != nil {
		return fmt.Errorf("%s.Action: %w", at, err)
	}
	resources, err := stringOrList(st["Resource"])
	if err != nil {
		return fmt.Errorf("%s.Resource: %w", at, err)
	}
	for _, r := range resources {
		if len(r) > MaxResourceLen {
			return fmt.Errorf("%s.Resource: %q is longer than %d characters", at, r[:32]+"…", MaxResourceLen)
		}
		if kind == Resource && r != "*" && !strings.HasPrefix(r, "arn:") && !strings.HasPrefix(r, ShorthandPrefix) {
			return fmt.Errorf("%s.Resource: %q must be an execute-api ARN (arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}), its shorthand %s{stage}/{METHOD}/{path}, or \"*\"", at, r, ShorthandPrefix)
		}
	}
	invoke := false
	for _, a := range actions {
		if Match(strings.ToLower(a), invokeAction) {
			invoke = true
		} else if kind == Resource {
			return fmt.Errorf("%s.Action: %q does not cover execute-api:Invoke, the only action a REST API's resource policy is about", at, a)
		}
	}
	s := statement{label: "Statement[" + strconv.Itoa(i) + "]", resources: resources}
	if kind == Resource {
		if err := checkPrincipal(at, st["Principal"]); err != nil {
			return err
		}
		var sid string
		if raw, ok := st["Sid"]; ok {
			if err := json.Unmarshal(raw, &sid); err != nil {
				return fmt.Errorf("%s.Sid: %s is not a string", at, Preview(raw))
			}
		}
		if sid != "" {
			s.label = "Sid " + strconv.Quote(sid) + " (" + s.label + ")"
		}
		if raw, ok := st["Condition"]; ok {
			if s.conds, err = parseConditions(at+".Condition", raw); err != nil {
				return err
			}
		}
	}
	if !invoke {
		return nil // about other actions: irrelevant to API Gateway
	}
	if effect == "Allow" {
		s.effect = Allow
		p.allow = append(p.allow, resources...)
	} else {
		s.effect = Deny
		p.deny = append(p.deny, resources...)
	}
	p.stmts = append(p.stmts, s)
	return nil
}

// checkPrincipal accepts "*", {"AWS": "*"} and {"AWS": ["*"]}: Gatehouse
// has no AWS identities, every caller is anonymous.
func checkPrincipal(at string, raw json.RawMessage) error {
	if raw == nil {
		return fmt.Errorf("%s.Principal: is missing (a resource policy statement names its Principal; Gatehouse supports \"*\")", at)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s == "*" {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil && len(m) == 1 {
		if l, err := stringOrList(m["AWS"]); err == nil && len(l) == 1 && l[0] == "*" {
			return nil
		}
	}
	return fmt.Errorf("%s.Principal: %s is not supported by Gatehouse, which has no AWS identities (every caller is anonymous): use \"*\" or {\"AWS\":\"*\"}", at, Preview(raw))
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
		return nil, fmt.Errorf("%s is neither a string nor a list of strings", Preview(raw))
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("is an empty list")
	}
	return l, nil
}

// Decide evaluates a policy without conditions (an authorizer's) for a
// method ARN: Deny when a Deny statement covers it, else Allow when an
// Allow statement does, else NoMatch. It does not allocate.
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

// Statement names statement i (from Evaluate) for a detail: its Sid and
// index, or its index.
func (p *Policy) Statement(i int) string {
	if i < 0 || i >= len(p.stmts) {
		return "no statement"
	}
	return p.stmts[i].label
}

// Request is what a resource policy is evaluated against.
type Request struct {
	// ARN is the method ARN,
	// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path};
	// APIPrefix is the length of its part up to and including
	// "{apiId}/", against which the execute-api:/ shorthand is anchored.
	ARN       []byte
	APIPrefix int
	// SourceIP is the caller's address (aws:SourceIp); zero when unknown.
	SourceIP netip.Addr
	// Referer and UserAgent are the headers' values; "" means absent.
	Referer, UserAgent string
}

// Evaluate decides a resource policy for a request: Deny when a Deny
// statement's resources and conditions cover it, else Allow when an
// Allow statement's do, else NoMatch; i is the deciding statement (-1 for
// NoMatch). It does not allocate.
func (p *Policy) Evaluate(rq *Request) (e Effect, i int) {
	allow := -1
	for j := range p.stmts {
		s := &p.stmts[j]
		if s.effect == Allow && allow >= 0 {
			continue
		}
		if !s.covers(rq) {
			continue
		}
		if s.effect == Deny {
			return Deny, j
		}
		allow = j
	}
	if allow >= 0 {
		return Allow, allow
	}
	return NoMatch, -1
}

func (s *statement) covers(rq *Request) bool {
	hit := false
	for _, r := range s.resources {
		if rest, ok := strings.CutPrefix(r, ShorthandPrefix); ok {
			if rq.APIPrefix <= len(rq.ARN) && Match(rest, rq.ARN[rq.APIPrefix:]) {
				hit = true
				break
			}
		} else if Match(r, rq.ARN) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for k := range s.conds {
		if !s.conds[k].holds(rq) {
			return false
		}
	}
	return true
}

// FirstByte is the first byte of a raw JSON value after white space (0
// when none): what kind of value it is.
func FirstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// Preview quotes the start of a raw JSON value for an error message.
func Preview(raw []byte) string {
	if raw == nil {
		return "(missing)"
	}
	s := string(raw)
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return s
}
