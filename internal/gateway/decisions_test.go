package gateway

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// fakeServed returns a served request as ServeHTTP leaves it, with id i.
func fakeServed(i int, now time.Time) *request {
	rq := &request{r: httptest.NewRequest("GET", "/restapis/api0000001/api/_user_request_/pets", nil), now: now, status: 200}
	copy(rq.requestID[:], idOf(i))
	rq.target = invokeTarget{apiID: "api0000001", stage: "api", path: "/pets"}
	return rq
}

// idOf is request i's id; its first hex digit varies, as a random id's does.
func idOf(i int) string { return fmt.Sprintf("%x%07x-0000-4000-8000-%012x", i%16, i, i) }

// slots counts the log's slots (its memory: slots × DecisionSlotBytes).
func (l *decisionLog) slots() int {
	n := 0
	for i := range l.shards {
		l.shards[i].mu.Lock()
		for _, c := range l.shards[i].chunks {
			n += len(c)
		}
		l.shards[i].mu.Unlock()
	}
	return n
}

// TestDecisionLogBound: past its bound the oldest decisions go and the
// memory stays at the bound; at least the last DecisionsMinKeep stay
// findable; within the retention everything up to the bound stays; once
// old, the memory a burst took goes back.
func TestDecisionLogBound(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const limit = 40_000
	l := newDecisionLog(limit, 10*time.Minute)
	bound := decisionShards * l.maxChunks * decisionChunkLen
	if bound < limit || bound > limit+decisionShards*decisionChunkLen {
		t.Fatalf("bound %d slots for a limit of %d", bound, limit)
	}
	// 30,000 requests within the retention, under the bound: all kept.
	for i := range 30_000 {
		l.record(fakeServed(i, now.Add(time.Duration(i)*time.Millisecond)))
	}
	for _, i := range []int{0, 1, 15_000, 29_999} {
		if _, ok := l.lookup(idOf(i)); !ok {
			t.Fatalf("request %d of 30,000 within the retention is gone", i)
		}
	}
	// 100,000 more at once: the bound holds, the oldest are gone, the last
	// DecisionsMinKeep (and more) are there.
	for i := 30_000; i < 130_000; i++ {
		l.record(fakeServed(i, now.Add(time.Minute)))
	}
	if n := l.slots(); n > bound {
		t.Fatalf("%d slots, bound %d", n, bound)
	}
	if _, ok := l.lookup(idOf(0)); ok {
		t.Fatal("the oldest decision is still there past the bound")
	}
	for i := 130_000 - DecisionsMinKeep; i < 130_000; i++ {
		if _, ok := l.lookup(idOf(i)); !ok {
			t.Fatalf("request %d, within the last %d, is gone", i, DecisionsMinKeep)
		}
	}
	// An hour later, a trickle: the burst's chunks expire and are dropped,
	// down to what keeps DecisionsMinKeep.
	later := now.Add(time.Hour)
	for i := 130_000; i < 130_000+decisionShards*decisionChunkLen*4; i++ {
		l.record(fakeServed(i, later))
	}
	floor := decisionShards * (l.minChunks + 1) * decisionChunkLen
	if n := l.slots(); n > floor {
		t.Fatalf("%d slots an hour after the burst, want at most %d", n, floor)
	}
	for i := 130_000 + decisionShards*decisionChunkLen*4 - DecisionsMinKeep; i < 130_000+decisionShards*decisionChunkLen*4; i++ {
		if _, ok := l.lookup(idOf(i)); !ok {
			t.Fatalf("request %d, within the last %d, is gone after the shrink", i, DecisionsMinKeep)
		}
	}
	if DecisionSlotBytes != 768 {
		t.Fatalf("slot of %d bytes; the documented bound assumes 768", DecisionSlotBytes)
	}
}

// TestDecisionLogConcurrent: requests recorded from many goroutines while
// others look them up are all found, each with its own fields (run with
// -race).
func TestDecisionLogConcurrent(t *testing.T) {
	l := newDecisionLog(0, 0)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const writers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				rq := fakeServed(w*each+i, now)
				rq.status = 200 + w
				l.record(rq)
			}
		}()
		go func() {
			defer wg.Done()
			for i := range each {
				if rec, ok := l.lookup(idOf(w*each + i)); ok && rec.Status != 200+w {
					t.Errorf("request %d: status %d, want %d", w*each+i, rec.Status, 200+w)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range writers * each {
		rec, ok := l.lookup(idOf(i))
		if !ok || rec.RequestID != idOf(i) || rec.Status != 200+i/each || rec.APIID != "api0000001" || rec.Path != "/restapis/api0000001/api/_user_request_/pets" {
			t.Fatalf("request %d: %+v %v", i, rec, ok)
		}
	}
}

// TestDecisionRecordAllocs: recording a decision allocates nothing (once
// the shard's chunks exist).
func TestDecisionRecordAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	l := newDecisionLog(0, 0)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	rq := fakeServed(1, now)
	rq.decision = refuse(ReasonKeyDisabled, "API key k…abcd is disabled")
	rq.step = "key"
	for range 4 * decisionShards * decisionChunkLen {
		l.record(rq)
	}
	if n := testing.AllocsPerRun(1000, func() { l.record(rq) }); n != 0 {
		t.Fatalf("recording allocates %v times", n)
	}
}

// TestDecisionByRequestID: a served request's decision is found by its
// x-amzn-RequestId with what was decided (key by id, never its value),
// and explained again against the configuration as it is now, with the
// recorded refusal's fix.
func TestDecisionByRequestID(t *testing.T) {
	env := newGWEnv(t, gwOptions{})
	env.addAPI(apiDef{id: "rid0000001", methods: map[string]*apigw.Method{"POST /doit": {APIKeyRequired: true, Integration: mockOK()}}})
	env.addPlan(&apigw.UsagePlan{ID: "planon", Name: "on", APIStages: []apigw.APIStage{{APIID: "rid0000001", Stage: "api"}},
		Quota: &apigw.Quota{Limit: 1, Period: apigw.PeriodDay}})
	noPlan := env.addKey("k-noplan01", true)
	good := env.addKey("k-good0001", true, "planon")
	ctx := context.Background()

	for _, c := range []struct {
		name   string
		hdr    []string
		query  string
		status int
		reason Reason
		keyID  string
		fix    string
	}{
		{"key in no plan", []string{"x-api-key", noPlan}, "", 403, ReasonKeyNoPlan, "k-noplan01", "add key k-noplan01 to usage plan planon"},
		{"served", []string{"x-api-key", good}, "", 200, ReasonOK, "k-good0001", ""},
		{"over quota", []string{"x-api-key", good}, "", 429, ReasonQuotaExceeded, "k-good0001", "API key k-good0001's quota in usage plan planon resets at 2026-11-23T00:00:00Z"},
		{"key in the query", nil, "apikey=" + good, 403, ReasonKeyInQuery, "", "gatehouse:apiKeyQuery=apikey"},
		{"unknown key", []string{"x-api-key", "nope-0123456789-zzzz"}, "", 403, ReasonKeyNotFound, "", "send the value of an existing API key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := env.url("rid0000001", "/doit")
			if c.query != "" {
				u += "?" + c.query
			}
			r := env.do(newReq(t, "POST", u, nil, c.hdr...))
			id := r.header.Get("X-Amzn-Requestid")
			rec, ok := env.g.Decision(id)
			if !ok {
				t.Fatalf("no decision recorded for %s", id)
			}
			if rec.Status != c.status || rec.Status != r.status || rec.Reason != c.reason || rec.KeyID != c.keyID || rec.Method != "POST" ||
				rec.APIID != "rid0000001" || rec.Stage != "api" || rec.Path != "/restapis/rid0000001/api/_user_request_/doit" || !rec.Time.Equal(env.now) {
				t.Fatalf("recorded %+v", rec)
			}
			if c.reason != ReasonOK && (rec.Detail != r.line["detail"] || rec.Step != r.line["step"]) {
				t.Fatalf("recorded detail %q step %q, access log %v %v", rec.Detail, rec.Step, r.line["detail"], r.line["step"])
			}
			for _, v := range []string{noPlan, good} {
				if strings.Contains(fmt.Sprintf("%+v", rec), v[:len(v)-4]) {
					t.Fatalf("the record holds a key value: %+v", rec)
				}
			}
			rp := env.g.ExplainDecision(ctx, rec)
			if !rp.ConfigurationExists {
				t.Fatal("configuration reported gone")
			}
			if !strings.Contains(rp.Fix, c.fix) || (c.fix == "" && rp.Fix != "") {
				t.Fatalf("fix %q, want %q", rp.Fix, c.fix)
			}
			got := ReasonOK
			if rp.Trace.Decision != nil {
				got = rp.Trace.Decision.Reason
			}
			if c.reason != ReasonOK && got != c.reason {
				t.Fatalf("the replay decided %s, want %s", got, c.reason)
			}
		})
	}
	if _, ok := env.g.Decision("00000000-0000-4000-8000-000000000000"); ok {
		t.Fatal("an unknown request id was found")
	}
	if _, ok := env.g.Decision("short"); ok {
		t.Fatal("a malformed request id was found")
	}
}

// BenchmarkDecisionRecord measures what the decision log adds to a served
// request: one slot written under one of 16 shard locks, in parallel.
func BenchmarkDecisionRecord(b *testing.B) {
	l := newDecisionLog(0, 0)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rqs := make([]*request, 64)
		for i := range rqs {
			rqs[i] = fakeServed(i, now)
		}
		i := 0
		for pb.Next() {
			i++
			l.record(rqs[i%len(rqs)])
		}
	})
}
