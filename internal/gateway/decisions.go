package gateway

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// The decision log keeps the decisions of the last requests served, for
// lookup by request id (gatehouse explain --request-id). Its bounds:
//
//   - it keeps at least the last DecisionsMinKeep requests and every
//     request of the last DecisionsRetention, whichever is more,
//   - up to Options.DecisionsMax decisions (DefaultDecisionsMax): a hard
//     bound on its memory of DecisionsMax × DecisionSlotBytes (768 bytes;
//     rounded up to whole chunks of 128 slots in each of 16 shards), 48 MiB
//     by default; at a sustained rate above DecisionsMax per
//     DecisionsRetention (109 requests/s by default) the oldest go first.
//
// Slots hold no pointers (the garbage collector never scans them) and are
// written in place: recording a decision allocates nothing and takes one
// of 16 shard locks (chosen by the request id's first hex digit, which is
// random), never a global one.
const (
	DefaultDecisionsMax = 65_536
	DecisionsMinKeep    = 10_000
	DecisionsRetention  = 10 * time.Minute
	DecisionSlotBytes   = int(unsafe.Sizeof(decisionSlot{}))

	decisionShards   = 16
	decisionChunkLen = 128 // slots per chunk: 96 KiB
)

// A decisionSlot must be exactly 768 bytes (the build fails otherwise):
// the documented memory bound depends on it.
var _ = [1]struct{}{}[unsafe.Sizeof(decisionSlot{})-768]

// decisionSlot is one recorded decision. Strings longer than their field
// are cut (slotTruncated).
type decisionSlot struct {
	unixNano  int64
	retryMs   uint32
	pathLen   uint16
	detailLen uint16
	status    uint16
	reason    uint8 // index in decisionReasons
	step      uint8 // 1 + index in pipeline; 0: none
	keyFrom   uint8
	flags     uint8
	apiLen    uint8
	stageLen  uint8
	methodLen uint8
	keyLen    uint8
	nameLen   uint8
	id        [36]byte
	api       [24]byte
	stage     [32]byte
	method    [12]byte
	key       [24]byte
	name      [32]byte // the header or query parameter a key came from, or was misplaced in
	path      [128]byte
	detail    [453]byte
}

const (
	slotTruncated uint8 = 1
	slotCanary    uint8 = 2 // the stage's canary release served the request
)

// decisionReasons numbers the reasons for slots: ReasonOK is 0.
var decisionReasons, decisionReasonNum = func() ([]Reason, map[Reason]uint8) {
	rs := []Reason{ReasonOK}
	for r := range answers {
		rs = append(rs, r)
	}
	slices.Sort(rs[1:])
	num := make(map[Reason]uint8, len(rs))
	for i, r := range rs {
		num[r] = uint8(i)
	}
	return rs, num
}()

// decisionLog is the bounded record of served decisions.
type decisionLog struct {
	shards    [decisionShards]decisionShard
	maxChunks int   // per shard
	minChunks int   // per shard, besides the one being filled
	retention int64 // nanoseconds
}

type decisionShard struct {
	mu sync.Mutex
	// chunks hold the shard's slots, oldest chunk first; the last one is
	// being filled (fill slots used).
	chunks [][]decisionSlot
	fill   int
	_      [64]byte // keeps shards' locks on separate cache lines
}

// newDecisionLog returns a log of at most max decisions (0: the default;
// at least DecisionsMinKeep), keeping retention (0: DecisionsRetention).
func newDecisionLog(limit int, retention time.Duration) *decisionLog {
	if limit <= 0 {
		limit = DefaultDecisionsMax
	}
	limit = max(limit, DecisionsMinKeep)
	if retention <= 0 {
		retention = DecisionsRetention
	}
	// Each shard keeps its share of the last DecisionsMinKeep requests
	// with a margin: the shards' shares of any run of requests are
	// binomial (about 625 ± 24 for 10,000), so 25% more holds them all.
	perShard := (DecisionsMinKeep*5/4 + decisionShards - 1) / decisionShards
	l := &decisionLog{
		minChunks: (perShard + decisionChunkLen - 1) / decisionChunkLen,
		maxChunks: (limit/decisionShards + decisionChunkLen - 1) / decisionChunkLen,
		retention: int64(retention),
	}
	l.maxChunks = max(l.maxChunks, l.minChunks+1)
	return l
}

// next returns the slot to write now (unixNano), recycling the oldest
// chunk when the shard is at its bound, or when that chunk is older than
// the retention and enough newer decisions are kept without it. Chunks
// that expired beyond that are dropped, so that a burst's memory goes back.
func (s *decisionShard) next(l *decisionLog, now int64) *decisionSlot {
	if len(s.chunks) == 0 || s.fill == decisionChunkLen {
		expired := func(c []decisionSlot) bool { return c[decisionChunkLen-1].unixNano < now-l.retention }
		for len(s.chunks) > l.minChunks+1 && expired(s.chunks[1]) {
			s.chunks[0] = nil
			s.chunks = s.chunks[1:]
		}
		var c []decisionSlot
		if len(s.chunks) >= l.maxChunks || len(s.chunks) > l.minChunks && expired(s.chunks[0]) {
			c = s.chunks[0]
			s.chunks = append(s.chunks[:0], s.chunks[1:]...)
		} else {
			c = make([]decisionSlot, decisionChunkLen)
		}
		s.chunks = append(s.chunks, c)
		s.fill = 0
	}
	sl := &s.chunks[len(s.chunks)-1][s.fill]
	s.fill++
	return sl
}

// shardOf picks a request id's shard by its first hex digit.
func shardOf(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return int(c) % decisionShards
}

// record writes rq's decision into the log. It allocates nothing.
func (l *decisionLog) record(rq *request) {
	var reason, step uint8
	var detail string
	var retry time.Duration
	if d := rq.decision; d != nil {
		reason, detail, retry = decisionReasonNum[d.Reason], d.Detail, d.RetryAfter
		for i := range pipeline {
			if pipeline[i].name == rq.step {
				step = uint8(i + 1)
				break
			}
		}
	}
	sh := &l.shards[shardOf(rq.requestID[0])]
	sh.mu.Lock()
	s := sh.next(l, rq.now.UnixNano())
	s.unixNano = rq.now.UnixNano()
	s.retryMs = uint32(min(retry.Milliseconds(), 1<<32-1))
	s.status = uint16(rq.status)
	s.reason, s.step, s.keyFrom, s.flags = reason, step, uint8(keySourceOf(rq)), 0
	s.id = rq.requestID
	if rq.stage != nil && rq.stage.IsCanary {
		s.flags |= slotCanary
	}
	t := false
	s.apiLen, t = put(s.api[:], rq.target.apiID, t)
	s.stageLen, t = put(s.stage[:], rq.target.stage, t)
	s.methodLen, t = put(s.method[:], rq.r.Method, t)
	keyID := ""
	if rq.key != nil {
		keyID = rq.key.ID
	}
	s.keyLen, t = put(s.key[:], keyID, t)
	s.nameLen, t = put(s.name[:], rq.keyName, t)
	path := rq.escapedPath()
	s.pathLen = uint16(copy(s.path[:], path))
	t = t || len(path) > len(s.path)
	s.detailLen = uint16(copy(s.detail[:], detail))
	if t || len(detail) > len(s.detail) {
		s.flags |= slotTruncated
	}
	sh.mu.Unlock()
}

// put copies v into dst (cut to its length) and returns the length
// written and whether anything (now or before) was cut.
func put(dst []byte, v string, cut bool) (uint8, bool) {
	n := copy(dst, v)
	return uint8(n), cut || n < len(v)
}

// DecisionRecord is one served request's decision as the node recorded
// it. It names the key by id only; the key's value was never recorded.
type DecisionRecord struct {
	RequestID string
	Time      time.Time
	// APIID and Stage are what the URL named; Path is the request's path
	// as sent (escaped, without the query string).
	APIID, Stage, Method, Path string
	KeyID                      string
	Status                     int
	Reason                     Reason // ReasonOK when served
	Step                       string // the refusing step ("" when served)
	Detail                     string
	RetryAfter                 time.Duration
	// KeySource is where the key came from (the access log's keySource:
	// header, custom-header, bearer, query, authorizer; "" when none).
	// KeyName is the header or query parameter it came from, or for
	// KEY_IN_OTHER_HEADER and KEY_IN_QUERY_STRING the one it was sent in.
	KeySource, KeyName string
	// Truncated: a field was longer than the log keeps, and was cut.
	Truncated bool
	// Canary: the stage's canary release served the request.
	Canary bool
}

// lookup finds a request id's decision.
func (l *decisionLog) lookup(id string) (DecisionRecord, bool) {
	if len(id) != 36 {
		return DecisionRecord{}, false
	}
	sh := &l.shards[shardOf(id[0])]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for ci := len(sh.chunks) - 1; ci >= 0; ci-- {
		c := sh.chunks[ci]
		n := len(c)
		if ci == len(sh.chunks)-1 {
			n = sh.fill
		}
		for i := n - 1; i >= 0; i-- {
			if string(c[i].id[:]) == id {
				return c[i].record(), true
			}
		}
	}
	return DecisionRecord{}, false
}

// record copies a slot out.
func (s *decisionSlot) record() DecisionRecord {
	r := DecisionRecord{
		RequestID:  string(s.id[:]),
		Time:       time.Unix(0, s.unixNano).UTC(),
		APIID:      text(s.api[:s.apiLen]),
		Stage:      text(s.stage[:s.stageLen]),
		Method:     text(s.method[:s.methodLen]),
		Path:       text(s.path[:s.pathLen]),
		KeyID:      text(s.key[:s.keyLen]),
		KeyName:    text(s.name[:s.nameLen]),
		Status:     int(s.status),
		Reason:     ReasonOK,
		Detail:     text(s.detail[:s.detailLen]),
		RetryAfter: time.Duration(s.retryMs) * time.Millisecond,
		Truncated:  s.flags&slotTruncated != 0,
		Canary:     s.flags&slotCanary != 0,
	}
	if int(s.reason) < len(decisionReasons) {
		r.Reason = decisionReasons[s.reason]
	}
	if s.step > 0 && int(s.step) <= len(pipeline) {
		r.Step = pipeline[s.step-1].name
	}
	if int(s.keyFrom) < len(keyFromNames) {
		r.KeySource = keyFromNames[s.keyFrom]
	}
	return r
}

// text turns a slot's bytes into a string, valid UTF-8 (a cut may have
// split a character).
func text(b []byte) string { return strings.ToValidUTF8(string(b), "") }

// Decision returns the recorded decision of a request this node served,
// by its request id (x-amzn-RequestId); false when the node does not
// have it (never served here, or older than what the log keeps).
func (g *Gateway) Decision(requestID string) (DecisionRecord, bool) {
	if g.decisions == nil {
		return DecisionRecord{}, false
	}
	return g.decisions.lookup(requestID)
}

// Replay is a recorded decision explained again.
type Replay struct {
	// Fix is the fix for the recorded refusal, worked out against the
	// configuration as it is now ("" for a request that was served).
	Fix string
	// Trace is a dry run of the same request now: its method, path, the
	// key by id (and where a key was misplaced); never the headers it
	// does not record (an authorizer's identity is not kept, so the
	// authorizer step finds it missing).
	Trace Trace
	// ConfigurationExists: the API and stage the request named still
	// exist (when false, Trace says what the URL meets now).
	ConfigurationExists bool
}

// ExplainDecision explains a recorded decision again: a dry run of the
// same request against the configuration as it is now, and the recorded
// refusal's fix worked out from what that dry run found.
func (g *Gateway) ExplainDecision(ctx context.Context, rec DecisionRecord) Replay {
	r := replayRequest(rec)
	rq := &request{r: r, dryRun: true, keyByID: rec.KeyID, trusted: g.trusted, explainCanary: rec.Canary}
	if g.now != nil {
		rq.now = g.now()
	} else {
		rq.now = time.Now()
	}
	var out Replay
	out.Trace = g.explain(ctx, rq)
	if api := g.state.API(rec.APIID); api != nil && api.Stages[rec.Stage] != nil {
		out.ConfigurationExists = true
	}
	if rec.Reason != ReasonOK {
		out.Fix = g.fix(rq, &Decision{Reason: rec.Reason, Detail: rec.Detail, RetryAfter: rec.RetryAfter})
	}
	return out
}

// placeholderKey stands for a key value the log did not keep (a key that
// was not found): no key has it.
const placeholderKey = "gatehouse-explain-value-not-recorded"

// replayRequest rebuilds what matters of a recorded request.
func replayRequest(rec DecisionRecord) *http.Request {
	u := &url.URL{Path: rec.Path, RawPath: rec.Path}
	if p, err := url.PathUnescape(rec.Path); err == nil {
		u.Path = p
	}
	r := &http.Request{Method: rec.Method, URL: u, Header: http.Header{}, Host: "localhost", ContentLength: 0}
	if !strings.HasPrefix(rec.Path, "/restapis/") && rec.APIID != "" {
		r.Header.Set(apiIDHeader, rec.APIID)
	}
	switch {
	case rec.Reason == ReasonKeyInQuery && rec.KeyName != "":
		u.RawQuery = url.QueryEscape(rec.KeyName) + "=" + placeholderKey
	case rec.Reason == ReasonKeyOtherHeader && rec.KeyName == headerAuthorization:
		r.Header.Set(headerAuthorization, "Bearer "+placeholderKey)
	case rec.Reason == ReasonKeyOtherHeader && rec.KeyName != "":
		r.Header.Set(rec.KeyName, placeholderKey)
	case rec.KeyID == "" && rec.KeySource != "" && rec.KeySource != keyFromNames[keyFromAuthorizer]:
		// A key was sent and matched none: a value no key has.
		r.Header.Set(headerAPIKey, placeholderKey)
	}
	return r
}
