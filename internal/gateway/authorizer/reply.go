package authorizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/iampolicy"
)

// Reply is a function's parsed answer.
type Reply struct {
	PrincipalID string
	Policy      *Policy
	// PolicyJSON is the policy document as the function sent it (for
	// test-invoke's "policy").
	PolicyJSON []byte
	// Context holds the context values: string, float64 or bool.
	Context map[string]any
	// UsageIdentifierKey is the API key value the function returned ("":
	// none). It is never logged.
	UsageIdentifierKey string
}

// ParseReply parses a function's answer:
// {"principalId": string (required), "policyDocument": object (required),
// "context": {key: string|number|bool}, "usageIdentifierKey": string}.
// Any other shape is an error naming the field; AWS answers such replies
// 500 AuthorizerConfigurationException.
func ParseReply(payload []byte) (*Reply, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil || top == nil {
		return nil, fmt.Errorf("the reply %s is not a JSON object", iampolicy.Preview(payload))
	}
	r := &Reply{}
	raw, ok := top["principalId"]
	if !ok || isNull(raw) {
		return nil, fmt.Errorf("the reply has no principalId")
	}
	if err := json.Unmarshal(raw, &r.PrincipalID); err != nil {
		return nil, fmt.Errorf("principalId: %s is not a string", iampolicy.Preview(raw))
	}
	raw, ok = top["policyDocument"]
	if !ok || isNull(raw) {
		return nil, fmt.Errorf("the reply has no policyDocument")
	}
	p, err := ParsePolicy(raw)
	if err != nil {
		return nil, err
	}
	r.Policy, r.PolicyJSON = p, bytes.Clone(raw)
	if raw, ok := top["context"]; ok && !isNull(raw) {
		var c map[string]json.RawMessage
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("context: %s is not an object", iampolicy.Preview(raw))
		}
		r.Context = make(map[string]any, len(c))
		for _, k := range slices.Sorted(maps.Keys(c)) {
			v := c[k]
			switch iampolicy.FirstByte(v) {
			case '"':
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, fmt.Errorf("context.%s: %s is not a valid string", k, iampolicy.Preview(v))
				}
				r.Context[k] = s
			case 't', 'f':
				var b bool
				if err := json.Unmarshal(v, &b); err != nil {
					return nil, fmt.Errorf("context.%s: %s is not a valid boolean", k, iampolicy.Preview(v))
				}
				r.Context[k] = b
			case 'n':
				// null: no value.
			case '{', '[':
				return nil, fmt.Errorf("context.%s: %s is an object or a list; context values must be strings, numbers or booleans", k, iampolicy.Preview(v))
			default:
				var f float64
				if err := json.Unmarshal(v, &f); err != nil {
					return nil, fmt.Errorf("context.%s: %s is not a string, number or boolean", k, iampolicy.Preview(v))
				}
				r.Context[k] = f
			}
		}
	}
	if raw, ok := top["usageIdentifierKey"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &r.UsageIdentifierKey); err != nil {
			return nil, fmt.Errorf("usageIdentifierKey: the value is not a string") // never quote a key
		}
	}
	return r, nil
}

// ContextString is a context value as integrations see it
// ($context.authorizer.key, requestContext.authorizer.key): its string
// form.
func ContextString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	}
	return ""
}

func isNull(raw []byte) bool { return iampolicy.FirstByte(raw) == 'n' }
