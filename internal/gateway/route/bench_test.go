package route

import (
	"fmt"
	"testing"
)

// fiftyResources is a 51-resource API: 8 collections under /v1, each with
// an item, two sub-collections, a nested item and an action, the root and a
// catch-all.
func fiftyResources() []string {
	specs := []string{"GET /", "ANY /{proxy+}"}
	for _, c := range []string{"pets", "users", "orders", "stores", "invoices", "carts", "reviews", "tags"} {
		specs = append(specs,
			"GET,POST /v1/"+c,
			"GET,PUT,DELETE /v1/"+c+"/{id}",
			"GET /v1/"+c+"/{id}/history",
			"GET,POST /v1/"+c+"/{id}/notes",
			"POST /v1/"+c+"/search",
			"GET,DELETE /v1/"+c+"/{id}/notes/{noteId}",
		)
	}
	return specs
}

func BenchmarkMatch(b *testing.B) {
	tab := compile(b, fiftyResources()...)
	if n := len(tab.Resources()); n != 51 {
		b.Fatalf("table has %d resources, want 51", n)
	}
	cases := []struct {
		name, method, path, want string
	}{
		{"literal", "POST", "/v1/tags/search", "/v1/tags/search"},
		{"param", "GET", "/v1/reviews/12345/notes", "/v1/reviews/{id}/notes"},
		{"greedy", "GET", "/static/css/site/main.css", "/{proxy+}"},
		{"backtrack", "GET", "/v1/pets/search/history", "/v1/pets/{id}/history"},
		{"trailing_slash", "GET", "/v1/orders/", "/v1/orders"},
		{"escaped", "GET", "/v1/users/a%2Fb/history", "/v1/users/{id}/history"},
		{"no_method", "PATCH", "/v1/users", "/v1/users"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var ps Params
			b.ReportAllocs()
			for b.Loop() {
				m, res := tab.Match(tc.method, tc.path, &ps)
				if res == NoResource || m.Resource.Path != tc.want {
					b.Fatalf("Match(%q) = %v %v", tc.path, m.Resource, res)
				}
			}
		})
	}
	b.Run("unknown_root_literal", func(b *testing.B) {
		tab := compile(b, fiftyResources()[2:]...) // no catch-all
		var ps Params
		b.ReportAllocs()
		for b.Loop() {
			if _, res := tab.Match("GET", "/v2/pets/1", &ps); res != NoResource {
				b.Fatal(res)
			}
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	s := snapshot(b, fiftyResources()...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(s); err != nil {
			b.Fatal(fmt.Sprint(err))
		}
	}
}
