package control

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// MayBeKeyValue reports whether text supplied by a client could be an API
// key value: CreateApiKey and ImportApiKeys accept values of 20 to 128
// characters, while every id is shorter (an API key id has 10). A warning
// or log line that quotes client text where a confused caller may have put
// a key value (a CSV cell, a key id in a path) quotes it only when this is
// false, so it never reveals a whole key.
func MayBeKeyValue(text string) bool {
	return utf8.RuneCountInString(text) >= minKeyValueLen
}

// keyRow is one data row of an API key import file.
type keyRow struct {
	Line         int // 1-based line the row starts on
	Name         string
	Key          string
	Description  string
	Enabled      bool
	UsagePlanIDs []string
}

// csvRecord is one record of the file with the line it starts on; Err
// describes a malformed record (its Fields are then unreliable).
type csvRecord struct {
	Line   int
	Fields []string
	Err    string
}

// splitCSV splits text into records. Fields are separated by commas and may
// be quoted with double or single quotes (a doubled quote inside is literal); quoted
// fields may span lines. Unquoted fields are trimmed of spaces and tabs.
// Blank lines are skipped. It never fails: a malformed record carries Err.
func splitCSV(text string) []csvRecord {
	var (
		recs   []csvRecord
		line   = 1
		i      = 0
		n      = len(text)
		rec    = csvRecord{Line: 1}
		field  strings.Builder
		quoted bool // the current field was quoted
	)
	endField := func() {
		f := field.String()
		if !quoted {
			f = strings.Trim(f, " \t")
		}
		rec.Fields = append(rec.Fields, f)
		field.Reset()
		quoted = false
	}
	endRecord := func() {
		endField()
		if rec.Err != "" || len(rec.Fields) > 1 || rec.Fields[0] != "" {
			recs = append(recs, rec)
		}
		rec = csvRecord{Line: line}
	}
	for i < n {
		c := text[i]
		switch {
		case c == ',':
			endField()
			i++
		case c == '\n' || c == '\r':
			if c == '\r' && i+1 < n && text[i+1] == '\n' {
				i++
			}
			i++
			line++
			endRecord()
		case (c == '"' || c == '\'') && strings.Trim(field.String(), " \t") == "" && !quoted:
			// A quoted field: read to the closing quote.
			field.Reset()
			quoted = true
			q := c
			i++
			closed := false
			for i < n {
				if text[i] == q {
					if i+1 < n && text[i+1] == q {
						field.WriteByte(q)
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				if text[i] == '\n' {
					line++
				}
				field.WriteByte(text[i])
				i++
			}
			if !closed {
				rec.Err = fmt.Sprintf("line %d: unterminated quoted field", rec.Line)
				break
			}
			// Only spaces may follow the closing quote before the separator.
			for i < n && (text[i] == ' ' || text[i] == '\t') {
				i++
			}
			if i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r' && rec.Err == "" {
				rec.Err = fmt.Sprintf("line %d: unexpected text after a closing quote", rec.Line)
			}
		default:
			if quoted {
				i++ // text after a closing quote: already reported
				continue
			}
			field.WriteByte(c)
			i++
		}
	}
	endRecord()
	return recs
}

// parseKeyCSV parses an API key import file: a header row (column names
// case-insensitive, in any order; Name and Key required; Description,
// Enabled and UsagePlanIds optional; others ignored) then one key per row.
// A row that cannot be imported yields a warning naming its line and the
// problem (never the key value); an unusable file yields an error.
func parseKeyCSV(data []byte) ([]keyRow, []string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	recs := splitCSV(string(data))
	if len(recs) == 0 {
		return nil, nil, errors.New("the API key file is empty; it needs a header row with Name and Key columns")
	}
	header := recs[0]
	if header.Err != "" {
		return nil, nil, fmt.Errorf("invalid header row: %s", header.Err)
	}
	col := map[string]int{}
	for i, h := range header.Fields {
		name := strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[name]; !dup {
			col[name] = i
		}
	}
	for _, req := range []string{"name", "key"} {
		if _, ok := col[req]; !ok {
			return nil, nil, fmt.Errorf("the header row (line %d) has no %q column; Name and Key are required", header.Line, req)
		}
	}
	get := func(r csvRecord, name string) string {
		i, ok := col[name]
		if !ok || i >= len(r.Fields) {
			return ""
		}
		return r.Fields[i]
	}
	var (
		rows     []keyRow
		warnings []string
	)
	for _, r := range recs[1:] {
		if r.Err != "" {
			warnings = append(warnings, r.Err)
			continue
		}
		row := keyRow{Line: r.Line, Name: get(r, "name"), Key: get(r, "key"), Description: get(r, "description"), Enabled: true}
		if err := checkKeyRow(&row, get(r, "enabled")); err != "" {
			warnings = append(warnings, fmt.Sprintf("line %d: %s", r.Line, err))
			continue
		}
		for _, id := range strings.Split(get(r, "usageplanids"), ",") {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(row.UsagePlanIDs, id) {
				row.UsagePlanIDs = append(row.UsagePlanIDs, id)
			}
		}
		rows = append(rows, row)
	}
	return rows, warnings, nil
}

// quoteCell quotes a CSV cell for a warning, unless the cell could be a key
// value (a row whose columns are out of order can put a key in any
// column): then it only says how long the cell is.
func quoteCell(cell string) string {
	if MayBeKeyValue(cell) {
		return fmt.Sprintf("(a %d-character value, not shown: it could be a key)", utf8.RuneCountInString(cell))
	}
	return strconv.Quote(cell)
}

// checkKeyRow validates a row and sets Enabled; it returns the problem or "".
// The key length rule is CreateApiKey's (20–128), not the 30 the file
// format page mentions, so that any key CreateApiKey accepts can be
// exported and imported again.
func checkKeyRow(row *keyRow, enabled string) string {
	switch {
	case row.Name == "":
		return "Name is required"
	case row.Key == "":
		return "Key is required"
	}
	if err := validateKeyName(row.Name); err != nil {
		return err.Error()
	}
	if err := validateKeyDescription(row.Description); err != nil {
		return err.Error()
	}
	if err := validateKeyValue(row.Key); err != nil {
		return err.Error()
	}
	switch {
	case enabled == "" || strings.EqualFold(enabled, "true"):
		row.Enabled = true
	case strings.EqualFold(enabled, "false"):
		row.Enabled = false
	default:
		// The text is not echoed: a misaligned row could put a key value here.
		return fmt.Sprintf("Enabled must be true or false (got a %d-character value)", len(enabled))
	}
	return ""
}

// ImportResult is ImportApiKeys' response: the ids of the imported keys
// and a warning per row that was not (fully) imported.
type ImportResult struct {
	IDs      []string
	Warnings []string
}

// ImportAPIKeys imports keys from a CSV file. A row whose
// Key value already exists overwrites that key's name, description and
// enabled flag. Keys get usage plan keys for their UsagePlanIds. With
// failOnWarnings, any warning fails the whole import (nothing is kept).
func (s *Service) ImportAPIKeys(ctx context.Context, data []byte, format string, failOnWarnings bool) (*ImportResult, error) {
	if format != "csv" {
		return nil, enumError(format, "importApiKeysInput.format", []string{"csv"})
	}
	rows, warnings, err := parseKeyCSV(data)
	if err != nil {
		return nil, &Error{Kind: KindBadRequest, Message: "Invalid API key file: " + err.Error(), Err: err}
	}
	if failOnWarnings && len(warnings) > 0 {
		return nil, importFailed(warnings)
	}
	res := &ImportResult{IDs: []string{}}
	err = s.update(ctx, func(tx store.Tx) error {
		res.IDs, res.Warnings = res.IDs[:0], slices.Clone(warnings)
		it := newImportTx(tx)
		listed := make(map[string]bool, len(rows))
		// Each row's statements take microseconds, so the rows run under
		// a context that cannot end, and the request's is checked between
		// rows: a context that can end costs the driver a goroutine per
		// statement. The transaction itself still ends with ctx.
		rowCtx := context.WithoutCancel(ctx)
		for _, row := range rows {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("import api keys: %w", err)
			}
			k, err := s.importKey(rowCtx, it, row)
			if err != nil {
				return err
			}
			if !listed[k.ID] {
				listed[k.ID] = true
				res.IDs = append(res.IDs, k.ID)
			}
			for _, planID := range row.UsagePlanIDs {
				if w := addImportedKeyToPlan(rowCtx, it, planID, k); w != "" {
					res.Warnings = append(res.Warnings, fmt.Sprintf("line %d: %s", row.Line, w))
				}
			}
		}
		if failOnWarnings && len(res.Warnings) > 0 {
			return importFailed(res.Warnings)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func importFailed(warnings []string) error {
	return BadRequestf("API key import failed (failonwarnings=true): %s", strings.Join(warnings, "; "))
}

// importKey creates the key of a row, or overwrites the key that already
// has its value.
func (s *Service) importKey(ctx context.Context, tx store.Tx, row keyRow) (*apigw.APIKey, error) {
	now := s.timestamp()
	k, err := tx.GetAPIKeyByHash(ctx, s.keys.LookupHash(row.Key))
	switch {
	case err == nil:
		k.Name, k.Description, k.Enabled, k.LastUpdatedDate = row.Name, row.Description, row.Enabled, now
		return k, tx.UpdateAPIKey(ctx, k)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	k = &apigw.APIKey{
		ID:              newID(apiKeyIDLen),
		Name:            row.Name,
		Description:     row.Description,
		Enabled:         row.Enabled,
		CreatedDate:     now,
		LastUpdatedDate: now,
	}
	s.seal(k, row.Key)
	return k, keyConflict(tx.CreateAPIKey(ctx, k))
}

// addImportedKeyToPlan adds a key to a plan; it returns a warning when it
// cannot ("" when the key is in the plan afterwards).
func addImportedKeyToPlan(ctx context.Context, tx *importTx, planID string, k *apigw.APIKey) string {
	plan, err := tx.GetUsagePlan(ctx, planID)
	if err != nil {
		return fmt.Sprintf("usage plan %s not found; key %s not added to it", quoteCell(planID), k.ID)
	}
	if in, err := tx.HasUsagePlanKey(ctx, planID, k.ID); err == nil && in {
		return ""
	}
	if err := checkKeyStages(ctx, tx, plan, k.ID); err != nil {
		return err.Error()
	}
	if err := tx.AddUsagePlanKey(ctx, planID, k.ID); err != nil {
		return fmt.Sprintf("key %s not added to usage plan %s: %v", k.ID, planID, err)
	}
	return ""
}

// importTx is the transaction of one import. It answers from memory what
// would otherwise be read from the store for every row, which made an
// import's rows cost more as the store grew:
//   - usage plans: an import changes none, so each is read once (one that
//     is not found stays not found); the cached plan is shared, and must
//     not be modified;
//   - the plans of a key the import created: the key was in none before,
//     so it is in exactly those the import has added it to. Those still
//     count: a row may name two plans, or repeat a value, and a key may be
//     in only one plan per API stage.
//
// Keys that existed before the import are looked up in the store as usual.
type importTx struct {
	store.Tx
	plans   map[string]cachedPlan
	created map[string][]string // key id → plan ids it was added to, in order
}

// cachedPlan is the outcome of reading a usage plan.
type cachedPlan struct {
	plan *apigw.UsagePlan
	err  error
}

func newImportTx(tx store.Tx) *importTx {
	return &importTx{Tx: tx, plans: map[string]cachedPlan{}, created: map[string][]string{}}
}

// CreateAPIKey notes the key as created by the import.
func (t *importTx) CreateAPIKey(ctx context.Context, k *apigw.APIKey) error {
	if err := t.Tx.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	t.created[k.ID] = nil
	return nil
}

// GetUsagePlan reads a plan once per import. Errors other than not found
// are not kept, so that the next row tries again.
func (t *importTx) GetUsagePlan(ctx context.Context, id string) (*apigw.UsagePlan, error) {
	if c, ok := t.plans[id]; ok {
		return c.plan, c.err
	}
	p, err := t.Tx.GetUsagePlan(ctx, id)
	if err == nil || errors.Is(err, store.ErrNotFound) {
		t.plans[id] = cachedPlan{plan: p, err: err}
	}
	return p, err
}

// HasUsagePlanKey answers from memory for a key the import created.
func (t *importTx) HasUsagePlanKey(ctx context.Context, planID, keyID string) (bool, error) {
	if plans, ok := t.created[keyID]; ok {
		return slices.Contains(plans, planID), nil
	}
	return t.Tx.HasUsagePlanKey(ctx, planID, keyID)
}

// ListUsagePlanIDsForKey answers from memory for a key the import created.
func (t *importTx) ListUsagePlanIDsForKey(ctx context.Context, keyID string) ([]string, error) {
	if plans, ok := t.created[keyID]; ok {
		return slices.Clone(plans), nil
	}
	return t.Tx.ListUsagePlanIDsForKey(ctx, keyID)
}

// AddUsagePlanKey notes the plan of a key the import created.
func (t *importTx) AddUsagePlanKey(ctx context.Context, planID, keyID string) error {
	if err := t.Tx.AddUsagePlanKey(ctx, planID, keyID); err != nil {
		return err
	}
	if plans, ok := t.created[keyID]; ok {
		t.created[keyID] = append(plans, planID)
	}
	return nil
}
