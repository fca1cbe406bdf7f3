package control

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/patch"
	"github.com/google/go-cmp/cmp"
)

func TestApplyRestAPIPatchBinaryMediaTypes(t *testing.T) {
	tests := []struct {
		name  string
		start []string
		ops   []patch.Op
		want  []string
	}{
		{"add twice", nil, []patch.Op{{Op: patch.Add, Path: "/binaryMediaTypes/image~1png"}, {Op: patch.Add, Path: "/binaryMediaTypes/image~1png"}}, []string{"image/png"}},
		{"replace removes then appends", []string{"a/b", "c/d"}, []patch.Op{repl("/binaryMediaTypes/a~1b", "e/f")}, []string{"c/d", "e/f"}},
		{"replace an absent type appends", []string{"a/b"}, []patch.Op{repl("/binaryMediaTypes/x~1y", "e/f")}, []string{"a/b", "e/f"}},
		{"replace onto existing", []string{"a/b", "c/d"}, []patch.Op{repl("/binaryMediaTypes/a~1b", "c/d")}, []string{"c/d"}},
		{"remove last", []string{"a/b"}, []patch.Op{{Op: patch.Remove, Path: "/binaryMediaTypes/a~1b"}}, nil},
		{"wildcard", nil, []patch.Op{{Op: patch.Add, Path: "/binaryMediaTypes/*~1*"}}, []string{"*/*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &apigw.RestAPI{BinaryMediaTypes: tt.start, EndpointConfiguration: apigw.EndpointConfiguration{Types: []string{"EDGE"}, IPAddressType: IPv4}}
			if err := applyRestAPIPatch(api, tt.ops); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, api.BinaryMediaTypes); d != "" {
				t.Errorf("binaryMediaTypes (-want +got):\n%s", d)
			}
		})
	}
}

func TestMinifyPolicy(t *testing.T) {
	got, err := minifyPolicy("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}")
	if err != nil || got != `{"Version":"2012-10-17","Statement":[]}` {
		t.Errorf("minifyPolicy = %q, %v", got, err)
	}
	if _, err := minifyPolicy("{not json"); KindOf(err) != KindBadRequest {
		t.Errorf("invalid policy: error %v, want a BadRequest", err)
	}
}
