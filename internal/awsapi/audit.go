package awsapi

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/control"
)

// auditRecord is what an operation tells the audit log beyond its request:
// the resource it created, or the keys it imported.
type auditRecord struct {
	created  string   // the new resource's path ("": the request's own)
	imported []string // ImportApiKeys: the ids of the keys imported
}

// auditCreated records the path of the resource a create made, from its
// segments (escaped here), e.g. auditCreated(r, "apikeys", id).
func auditCreated(r *http.Request, segments ...string) {
	rec, ok := r.Context().Value(auditKey).(*auditRecord)
	if !ok {
		return
	}
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	rec.created = b.String()
}

// auditImported records the ids of the keys an import created or updated.
func auditImported(r *http.Request, ids []string) {
	if rec, ok := r.Context().Value(auditKey).(*auditRecord); ok {
		rec.imported = ids
	}
}

// writeAudit writes the audit line of a mutating call by caller.
func (h *Handler) writeAudit(r *http.Request, reqID, caller string, op *operation, rec *auditRecord, sw *statusWriter) {
	resource := rec.created
	if resource == "" {
		resource = redactedPath(r, op)
	}
	attrs := []slog.Attr{
		slog.String("requestId", reqID),
		slog.String("accessKeyId", caller),
		slog.String("operation", op.name),
		slog.String("resource", resource),
		slog.Int("status", sw.status),
	}
	if sw.errorType != "" {
		attrs = append(attrs, slog.String("errorType", sw.errorType))
	}
	if rec.imported != nil {
		attrs = append(attrs, slog.Any("importedKeyIds", rec.imported))
	}
	h.audit.LogAttrs(r.Context(), slog.LevelInfo, "management change", attrs...)
}

// keyLabels are the URI labels that name an API key by id, where a
// confused caller may put the key's value instead.
var keyLabels = map[string]bool{"apiKey": true, "keyId": true, "resourceArn": true}

// redactedPath is r's escaped path for logs, without anything that could
// be an API key value: with op, the segments of its key labels (apiKey,
// keyId, and a tags ARN's /apikeys/{id}) are hidden when they could be a
// key value (control.MayBeKeyValue); without op (the path is no known
// operation's), every segment that could be is hidden.
func redactedPath(r *http.Request, op *operation) string {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	var tmpl []string
	if op != nil {
		tmpl = strings.Split(op.path, "/")
	}
	for i, seg := range segs {
		text, err := url.PathUnescape(seg)
		if err != nil {
			text = seg
		}
		if len(tmpl) != len(segs) {
			if control.MayBeKeyValue(text) {
				segs[i] = hidden(text)
			}
			continue
		}
		label := strings.TrimSuffix(strings.TrimPrefix(tmpl[i], "{"), "}")
		if !keyLabels[label] {
			continue
		}
		if label == "resourceArn" {
			// arn:aws:apigateway:{region}::/apikeys/{id}
			prefix, id, ok := strings.Cut(text, "/apikeys/")
			if ok && control.MayBeKeyValue(id) {
				segs[i] = url.PathEscape(prefix+"/apikeys/") + hidden(id)
			}
			continue
		}
		if control.MayBeKeyValue(text) {
			segs[i] = hidden(text)
		}
	}
	return strings.Join(segs, "/")
}

// hidden stands for a path segment left out of a log.
func hidden(text string) string {
	return "{hidden:" + strconv.Itoa(len(text)) + "-bytes}"
}
