package state

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

func TestNewStageThrottle(t *testing.T) {
	ms := func(burst int, rate float64) *apigw.MethodSetting {
		return &apigw.MethodSetting{ThrottlingBurstLimit: burst, ThrottlingRateLimit: rate}
	}
	th := func(burst int, rate float64) apigw.Throttle {
		return apigw.Throttle{BurstLimit: burst, RateLimit: rate}
	}
	tests := []struct {
		name     string
		settings map[string]*apigw.MethodSetting
		want     StageThrottle
	}{
		{"none", nil, StageThrottle{}},
		{"default only", map[string]*apigw.MethodSetting{"*/*": ms(10, 5)},
			StageThrottle{Default: &apigw.Throttle{BurstLimit: 10, RateLimit: 5}}},
		{"default -1", map[string]*apigw.MethodSetting{"*/*": ms(-1, -1)}, StageThrottle{}},
		{"default burst -1 only", map[string]*apigw.MethodSetting{"*/*": ms(-1, 5)}, StageThrottle{}},
		{"escaped, terraform and root keys", map[string]*apigw.MethodSetting{
			"~1pets/GET": ms(1, 1), "pets/{id}/PUT": ms(2, 2), "~1/GET": ms(3, 3), "/POST": ms(4, 4),
		}, StageThrottle{Methods: map[string]apigw.Throttle{
			"/pets/GET": th(1, 1), "/pets/{id}/PUT": th(2, 2), "//GET": th(3, 3), "//POST": th(4, 4),
		}}},
		{"method -1 is no limit", map[string]*apigw.MethodSetting{"*/*": ms(10, 5), "~1pets/GET": ms(-1, -1)},
			StageThrottle{Default: &apigw.Throttle{BurstLimit: 10, RateLimit: 5}, NoLimit: map[string]bool{"/pets/GET": true}}},
		{"same method twice: last sorted key wins", map[string]*apigw.MethodSetting{"pets/GET": ms(1, 1), "~1pets/GET": ms(-1, -1)},
			StageThrottle{Methods: map[string]apigw.Throttle{}, NoLimit: map[string]bool{"/pets/GET": true}}},
		{"invalid and nil entries skipped", map[string]*apigw.MethodSetting{"GET": ms(1, 1), "x/": ms(1, 1), "~1a/GET": nil},
			StageThrottle{}},
		{"zero limits kept", map[string]*apigw.MethodSetting{"~1a/GET": ms(0, 0)},
			StageThrottle{Methods: map[string]apigw.Throttle{"/a/GET": th(0, 0)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, newStageThrottle(tt.settings)); diff != "" {
				t.Errorf("newStageThrottle mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStageThrottleForDoesNotAllocate(t *testing.T) {
	st := newStageThrottle(map[string]*apigw.MethodSetting{
		"*/*":        {ThrottlingBurstLimit: 10, ThrottlingRateLimit: 5},
		"~1pets/GET": {ThrottlingBurstLimit: 1, ThrottlingRateLimit: 1},
	})
	if n := testing.AllocsPerRun(100, func() { st.For("/pets/GET"); st.For("/toys/GET") }); n != 0 {
		t.Errorf("For allocates %v times per call, want 0", n)
	}
}

// testKey returns a Key indexed under the hash of seed.
func testKey(id, seed string) *Key {
	return &Key{ID: id, hash: sha256.Sum256([]byte(seed))}
}

func TestKeyIndexUpdate(t *testing.T) {
	x := new(keyIndex)
	a, b, c := testKey("a", "va"), testKey("b", "vb"), testKey("c", "vc")
	x.build([]*Key{a, b, c})

	// a's hash changes, b is deleted, d is new and takes b's old hash.
	a2, d := testKey("a", "va2"), testKey("d", "vb")
	x.update([]string{"a", "b", "d"}, map[string]*Key{"a": a2, "d": d})

	for _, tt := range []struct {
		seed string
		want *Key
	}{{"va", nil}, {"va2", a2}, {"vb", d}, {"vc", c}} {
		h := sha256.Sum256([]byte(tt.seed))
		if got := x.byHashGet(&h); !sameKey(got, tt.want) {
			t.Errorf("byHash(%s) = %+v, want %+v", tt.seed, got, tt.want)
		}
	}
	for _, tt := range []struct {
		id   string
		want *Key
	}{{"a", a2}, {"b", nil}, {"c", c}, {"d", d}} {
		if got := x.byIDGet(tt.id); !sameKey(got, tt.want) {
			t.Errorf("byID(%s) = %+v, want %+v", tt.id, got, tt.want)
		}
	}
	if n := x.len(); n != 3 {
		t.Errorf("len = %d, want 3", n)
	}

	// Removing a key whose old hash now belongs to another key keeps the other.
	x.update([]string{"zz"}, nil)
	if n := x.len(); n != 3 {
		t.Errorf("len after deleting an unknown id = %d, want 3", n)
	}
}

// TestKeyIndexStringLengths round-trips ids and last fours at and past
// what a slot holds inline, through a build and an update.
func TestKeyIndexStringLengths(t *testing.T) {
	inline := strings.Repeat("i", idInline)
	long := strings.Repeat("L", idInline+1)
	cases := []*Key{
		{ID: "", Last4: ""},
		{ID: inline, Last4: "abcd"},
		{ID: long, Last4: "abcd"},
		{ID: "short", Last4: "abcde"},
		{ID: long + "x", Last4: ""},
	}
	for i, k := range cases {
		k.hash = sha256.Sum256([]byte{byte(i)})
		k.Enabled = i%2 == 0
	}
	x := new(keyIndex)
	x.build(cases[:3])
	x.update([]string{cases[3].ID, cases[4].ID}, map[string]*Key{cases[3].ID: cases[3], cases[4].ID: cases[4]})
	for _, want := range cases {
		if got := x.byHashGet(&want.hash); !sameKey(got, want) {
			t.Errorf("byHash(id %q) = %+v, want %+v", want.ID, got, want)
		}
		if got := x.byIDGet(want.ID); !sameKey(got, want) {
			t.Errorf("byID(%q) = %+v, want %+v", want.ID, got, want)
		}
	}
}

func TestNewKeyRefusesMalformed(t *testing.T) {
	h := make([]byte, 32)
	for _, tt := range []struct {
		name string
		key  apigw.APIKey
		want string
	}{
		{"short hash", apigw.APIKey{ID: "k", LookupHash: []byte("short")}, "lookup hash is 5 bytes long, want 32"},
		{"long id", apigw.APIKey{ID: strings.Repeat("k", maxKeyString+1), LookupHash: h}, "id is 65536 bytes long, at most 65535 allowed"},
		{"long last4", apigw.APIKey{ID: "k", Last4: strings.Repeat("4", maxKeyString+1), LookupHash: h}, "last4 is 65536 bytes long, at most 65535 allowed"},
	} {
		got, err := newKey(&tt.key, nil)
		if got != nil || err == nil || err.Error() != tt.want {
			t.Errorf("%s: newKey = %+v, %v; want nil, %q", tt.name, got, err, tt.want)
		}
	}
	if _, err := newKey(&apigw.APIKey{ID: strings.Repeat("k", maxKeyString), LookupHash: h}, nil); err != nil {
		t.Errorf("newKey(id of %d bytes) = %v, want no error", maxKeyString, err)
	}
}

func FuzzStageThrottle(f *testing.F) {
	f.Add("~1pets/GET", 5, 2.5)
	f.Add("*/*", -1, -1.0)
	f.Add("/GET", 0, 0.0)
	f.Add("~0~1/", 1, 1.0)
	f.Fuzz(func(t *testing.T, key string, burst int, rate float64) {
		st := newStageThrottle(map[string]*apigw.MethodSetting{
			key: {ThrottlingBurstLimit: burst, ThrottlingRateLimit: rate},
		})
		for k := range st.Methods {
			if st.NoLimit[k] {
				t.Errorf("%q is both limited and unlimited", k)
			}
			if got, ok := st.For(k); !ok || got != st.Methods[k] {
				t.Errorf("For(%q) = %+v, %v; want its own entry", k, got, ok)
			}
		}
		if n := len(st.Methods) + len(st.NoLimit); n > 1 || (n == 1 && st.Default != nil) {
			t.Errorf("one setting %q gave %d method entries and default %v", key, n, st.Default)
		}
		if (burst < 0 || rate < 0) && (len(st.Methods) > 0 || st.Default != nil) {
			t.Errorf("negative limits (%d, %v) gave a limit: %+v", burst, rate, st)
		}
	})
}

var planChoices = [][]string{nil, {"p1"}, {"p2"}, {"p1", "p2"}}

// randomUpdateID is the id of key i in TestKeyIndexRandomUpdates; every
// seventh is too long to fit in a slot (idInline).
func randomUpdateID(i int) string {
	if i%7 == 0 {
		return fmt.Sprintf("k%d-an-id-longer-than-a-slot-holds", i)
	}
	return fmt.Sprintf("k%d", i)
}

// TestKeyIndexRandomUpdates checks the index against a plain map through
// random batches of creates, re-hashes and deletes.
func TestKeyIndexRandomUpdates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := new(keyIndex)
	ref := map[string]*Key{} // by id
	for round := range 300 {
		ids := make([]string, 0, 20)
		puts := map[string]*Key{}
		seen := map[string]bool{}
		for range rng.IntN(20) + 1 {
			id := randomUpdateID(rng.IntN(3000))
			if seen[id] {
				continue
			}
			seen[id] = true
			ids = append(ids, id)
			if rng.IntN(4) > 0 {
				k := testKey(id, fmt.Sprintf("%s-%d", id, rng.IntN(2)))
				k.Last4 = fmt.Sprintf("%04d", rng.IntN(10000))
				if rng.IntN(10) == 0 {
					k.Last4 += "5" // too long for a slot: the key's strings go to the arena
				}
				k.Enabled = rng.IntN(2) == 0
				k.PlanIDs = planChoices[rng.IntN(len(planChoices))]
				if rng.IntN(5) == 0 {
					k.StageKeys = map[string]bool{fmt.Sprintf("api/s%d", rng.IntN(3)): true}
				}
				puts[id] = k
			}
		}
		if round == 0 {
			var all []*Key
			for _, k := range puts {
				all = append(all, k)
			}
			x.build(all)
		} else {
			x.update(ids, puts)
		}
		for _, id := range ids {
			if puts[id] != nil {
				ref[id] = puts[id]
			} else {
				delete(ref, id)
			}
		}
	}
	if got := x.len(); got != len(ref) {
		t.Errorf("len = %d, want %d", got, len(ref))
	}
	for i := range 3000 {
		id := randomUpdateID(i)
		want := ref[id]
		if got := x.byIDGet(id); !sameKey(got, want) {
			t.Fatalf("byID(%s) = %+v, want %+v", id, got, want)
		}
		for v := range 2 {
			h := sha256.Sum256(fmt.Appendf(nil, "%s-%d", id, v))
			var w *Key
			if want != nil && want.hash == h {
				w = want
			}
			if got := x.byHashGet(&h); !sameKey(got, w) {
				t.Fatalf("byHash(%s-%d) = %+v, want %+v", id, v, got, w)
			}
		}
	}
}

// TestStageCountersLocal: only gatehouse:countersFailure=local makes a
// stage fall back to local counters; closed, absent (the default) or any
// other tag does not.
func TestStageCountersLocal(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		want bool
	}{
		{"local", map[string]string{apigw.TagCountersFailure: apigw.CountersFailureLocal}, true},
		{"closed", map[string]string{apigw.TagCountersFailure: apigw.CountersFailureClosed}, false},
		{"absent", map[string]string{apigw.TagReasonHeader: "true"}, false},
		{"no tags", nil, false},
	}
	for _, tt := range tests {
		st := &apigw.Stage{Name: "s", Tags: tt.tags}
		a := newAPI(&apigw.RestAPI{ID: "api"}, []*apigw.Stage{st}, nil)
		if got := a.Stages["s"].CountersLocal; got != tt.want {
			t.Errorf("%s: CountersLocal = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestStageReasonHeader: only the tag gatehouse:reasonHeader=true opts a
// stage in; dataTraceEnabled does not.
func TestStageReasonHeader(t *testing.T) {
	traced := map[string]*apigw.MethodSetting{"*/*": {DataTraceEnabled: true}}
	tests := []struct {
		name string
		st   *apigw.Stage
		want bool
	}{
		{"tagged true", &apigw.Stage{Name: "a", Tags: map[string]string{apigw.TagReasonHeader: "true"}}, true},
		{"tagged false", &apigw.Stage{Name: "b", Tags: map[string]string{apigw.TagReasonHeader: "false"}, MethodSettings: traced}, false},
		{"data trace only", &apigw.Stage{Name: "c", MethodSettings: traced}, false},
		{"nothing", &apigw.Stage{Name: "d"}, false},
	}
	for _, tt := range tests {
		a := newAPI(&apigw.RestAPI{ID: "api"}, []*apigw.Stage{tt.st}, nil)
		if got := a.Stages[tt.st.Name].ReasonHeader; got != tt.want {
			t.Errorf("%s: ReasonHeader = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestStagePolicy: a stage serves its deployment's resource policy,
// compiled once; one that cannot be evaluated is reported (the gateway
// then refuses every request), and the API's live policy, undeployed,
// does not apply.
func TestStagePolicy(t *testing.T) {
	root := map[string]*apigw.Resource{"r": {ID: "r", Methods: map[string]*apigw.Method{}}}
	ok := `{"Version":"2012-10-17","Statement":[{"Sid":"s","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`
	tests := []struct {
		name, deployed, live string
		policy               bool
		err                  string
	}{
		{"none", "", ok, false, ""},
		{"compiled", ok, "", true, ""},
		{"cannot be evaluated", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, "", false,
			`the resource policy of deployment d1 of API a1 cannot be evaluated: policy.Statement[0].Condition: the operator "Bool" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &apigw.Deployment{ID: "d1", APIID: "a1", Snapshot: apigw.Snapshot{RootResourceID: "r", Resources: root, Policy: tt.deployed}}
			a := newAPI(&apigw.RestAPI{ID: "a1", RootResourceID: "r", Resources: root, Policy: tt.live},
				[]*apigw.Stage{{APIID: "a1", Name: "prod", DeploymentID: "d1"}}, map[string]*compiled{"d1": compile(d)})
			st := a.Stages["prod"]
			if (st.Policy != nil) != tt.policy {
				t.Errorf("Policy = %v, want one: %v", st.Policy, tt.policy)
			}
			if tt.policy && st.Policy.Statement(0) != `Sid "s" (Statement[0])` {
				t.Errorf("statement 0 is %s", st.Policy.Statement(0))
			}
			if got := fmt.Sprint(st.PolicyErr); (tt.err == "" && st.PolicyErr != nil) || !strings.Contains(got, tt.err) {
				t.Errorf("PolicyErr = %v, want %q", st.PolicyErr, tt.err)
			}
		})
	}
}
