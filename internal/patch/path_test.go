package patch

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		path    string
		want    []string
		wantErr string
	}{
		{path: "/binaryMediaTypes/image~1png", want: []string{"binaryMediaTypes", "image/png"}},
		{path: "/responseTemplates/application~1json", want: []string{"responseTemplates", "application/json"}},
		{path: "/~1pets/GET/throttling/rateLimit", want: []string{"/pets", "GET", "throttling", "rateLimit"}},
		{path: "/name", want: []string{"name"}},
		{path: "/a~0b/~01", want: []string{"a~b", "~1"}},
		{path: "/", want: []string{""}},
		{path: "//x/", want: []string{"", "x", ""}},
		{path: "/binaryMediaTypes/-", want: []string{"binaryMediaTypes", "-"}},
		{path: "", wantErr: "Invalid patch path null"},
		{path: "name", wantErr: "Invalid patch path name"},
		{path: "~1name", wantErr: "Invalid patch path ~1name"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Segments(tt.path)
			if tt.wantErr != "" {
				var bp *BadPathError
				if !errors.As(err, &bp) || err.Error() != tt.wantErr {
					t.Fatalf("Segments(%q) error = %v, want *BadPathError %q", tt.path, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Segments(%q) error = %v", tt.path, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Segments(%q) mismatch (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}
