package state

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/vtl"
)

// Template is a mapping template compiled once, when its deployment (or,
// for a gateway response, its API) is loaded: requests never parse one.
// Err is the compile error; the gateway answers it as a failed mapping.
type Template struct {
	Tpl *vtl.Template
	Err error
}

// Templates are compiled mapping templates by source text.
type Templates map[string]*Template

// Get returns the compiled template of src, or nil when src was not seen
// at load time.
func (t Templates) Get(src string) *Template { return t[src] }

// add compiles src unless it is plain text (no reference, no directive:
// it is answered as written) or already there.
func (t Templates) add(src string) {
	if !strings.ContainsAny(src, "$#") {
		return
	}
	if _, ok := t[src]; ok {
		return
	}
	tpl, err := vtl.Compile(src)
	t[src] = &Template{Tpl: tpl, Err: err}
}

// compileTemplates compiles every request and integration response
// template of a deployment's integrations; nil when there is none.
func compileTemplates(snap *apigw.Snapshot) Templates {
	t := Templates{}
	for _, r := range snap.Resources {
		for _, m := range r.Methods {
			in := m.Integration
			if in == nil {
				continue
			}
			for _, src := range in.RequestTemplates {
				t.add(src)
			}
			for _, ir := range in.IntegrationResponses {
				for _, src := range ir.ResponseTemplates {
					t.add(src)
				}
			}
		}
	}
	if len(t) == 0 {
		return nil
	}
	return t
}

// compileGatewayTemplates compiles an API's customised gateway response
// templates; nil when there is none.
func compileGatewayTemplates(rs map[string]*apigw.GatewayResponse) Templates {
	t := Templates{}
	for _, r := range rs {
		for _, src := range r.ResponseTemplates {
			t.add(src)
		}
	}
	if len(t) == 0 {
		return nil
	}
	return t
}
