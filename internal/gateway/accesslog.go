package gateway

import (
	"context"
	"log/slog"
	"time"
)

// logAccess writes the request's access log line and updates the metrics.
// It names the key by id only; the presented value is never logged.
func (g *Gateway) logAccess(rq *request) {
	latency := time.Since(rq.start)
	reason := ReasonOK
	detail := ""
	if rq.decision != nil {
		reason, detail = rq.decision.Reason, rq.decision.Detail
	}
	apiID, stage, resource := rq.target.apiID, rq.target.stage, ""
	if rq.match.Resource != nil {
		resource = rq.match.Resource.Path
	}
	keyID := ""
	if rq.key != nil {
		keyID = rq.key.ID
	}
	if g.metrics != nil {
		g.metrics.observe(rq, reason, latency)
	}
	if !g.access.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("requestId", string(rq.requestID[:])),
		slog.String("ip", clientIP(rq.r)),
		slog.String("method", rq.r.Method),
		slog.String("path", rq.r.URL.EscapedPath()),
		slog.String("apiId", apiID),
		slog.String("stage", stage),
		slog.String("resourcePath", resource),
		slog.Int("status", rq.status),
		slog.String("apiKeyId", keyID),
		slog.String("reason", string(reason)),
		slog.Float64("latencyMs", float64(latency.Microseconds())/1000),
		slog.Float64("integrationLatencyMs", float64(rq.integrationLatency.Microseconds())/1000),
	}
	if detail != "" {
		attrs = append(attrs, slog.String("step", rq.step), slog.String("detail", detail))
	}
	g.access.LogAttrs(context.Background(), slog.LevelInfo, "access", attrs...)
}
