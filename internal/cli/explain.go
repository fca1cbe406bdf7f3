package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/spf13/cobra"
)

// Exit codes of gatehouse explain.
const (
	exitAllowed = 0
	exitRefused = 1
	exitError   = 2
)

// exitCodeError ends a command with a given exit code; err (may be nil)
// is printed.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitCodeError) Unwrap() error { return e.err }

// failWith wraps err to end the command with exit code 2.
func failWith(err error) error { return &exitCodeError{code: exitError, err: err} }

type explainFlags struct {
	admin     adminFlags
	api       string
	stage     string
	keyID     string
	keyValue  string
	headers   []string
	requestID string
	canary    bool
	json      bool
}

func newExplain(stdout io.Writer) *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain --api ID [--stage S] [--key-id K | --key-value V] [-H 'Name: value']... [--canary] METHOD PATH [--json]\n  gatehouse explain --request-id ID [--json]",
		Short: "Say why a request would be (or was) refused, and what to change",
		Long: `Explain runs the node's request pipeline on a request in dry-run mode (no
throttle token, no quota, no usage is consumed; no integration is called) and
prints every step with its verdict, and for a refusal the reason code and the
fix in terms of your objects (the key, the usage plan, the stage, the
deployment).

PATH is the resource path as a caller sends it after the stage, with an
optional ?query; without --stage, PATH starts with the stage, as in a
/{stage}/{path} URL. --key-id names the API key by id (no value needed);
--key-value sends a value in x-api-key, as a caller would. For a stage with a
canary release, --canary explains a request the canary's deployment serves
(default: one the stage's own deployment serves; a dry run draws nothing).

--request-id explains a request the node served (its x-amzn-RequestId): the
decision it recorded, and a dry run of the same request now. The node keeps
at least its last 10,000 decisions or 10 minutes of them, whichever is more,
up to its --decisions-max.

Exit status: 0 allowed, 1 refused (any reason), 2 error.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd, f, args, stdout)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return failWith(err) })
	fl := cmd.Flags()
	fl.StringVar(&f.api, "api", "", "the RestApi id")
	fl.StringVar(&f.stage, "stage", "", "the stage (default: PATH starts with it)")
	fl.StringVar(&f.keyID, "key-id", "", "explain with this API key, by id")
	fl.StringVar(&f.keyValue, "key-value", "", "explain with this API key value, sent in x-api-key")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "a request header, 'Name: value' (repeatable)")
	fl.BoolVar(&f.canary, "canary", false, "for a stage with a canary release, explain a request its canary serves")
	fl.StringVar(&f.requestID, "request-id", "", "explain a request the node served, by its x-amzn-RequestId")
	fl.BoolVar(&f.json, "json", false, "print one JSON object (allowed, reason, steps, fix, …)")
	addAdminFlags(cmd, &f.admin)
	return cmd
}

func runExplain(cmd *cobra.Command, f explainFlags, args []string, stdout io.Writer) error {
	in, err := f.input(args)
	if err != nil {
		return failWith(err)
	}
	c, err := newAdminClient(f.admin, os.Getenv)
	if err != nil {
		return failWith(err)
	}
	var out server.ExplainOutput
	if err := c.call(cmd.Context(), server.ExplainPath, in, &out); err != nil {
		return failWith(err)
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return failWith(err)
		}
	} else {
		printExplain(stdout, in, out)
	}
	if !out.Allowed {
		return &exitCodeError{code: exitRefused}
	}
	return nil
}

// input checks the flags and arguments and builds the admin call's input.
func (f explainFlags) input(args []string) (server.ExplainInput, error) {
	if f.requestID != "" {
		if len(args) > 0 || f.api != "" || f.stage != "" || f.keyID != "" || f.keyValue != "" || len(f.headers) > 0 || f.canary {
			return server.ExplainInput{}, errors.New("--request-id explains a served request: give no METHOD PATH, --api, --stage, --key-id, --key-value, --canary or -H with it")
		}
		return server.ExplainInput{RequestID: f.requestID}, nil
	}
	var errs []error
	if len(args) != 2 {
		errs = append(errs, fmt.Errorf("want METHOD PATH (as POST /doit), got %d argument(s)", len(args)))
	}
	if f.api == "" {
		errs = append(errs, errors.New("--api: required (the RestApi id)"))
	}
	if f.keyID != "" && f.keyValue != "" {
		errs = append(errs, errors.New("--key-id and --key-value: give at most one"))
	}
	in := server.ExplainInput{API: f.api, Stage: f.stage, KeyID: f.keyID, KeyValue: f.keyValue, Canary: f.canary}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			errs = append(errs, fmt.Errorf("-H %q: must be 'Name: value'", h))
			continue
		}
		if in.Headers == nil {
			in.Headers = map[string]string{}
		}
		in.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	if len(args) == 2 {
		in.Method, in.Path = strings.ToUpper(args[0]), args[1]
		if !strings.HasPrefix(in.Path, "/") {
			errs = append(errs, fmt.Errorf("PATH %q: must start with /", in.Path))
		}
	}
	return in, errors.Join(errs...)
}

// printExplain prints the answer for a person: the outcome, every step
// with its verdict, and the fix.
func printExplain(w io.Writer, in server.ExplainInput, out server.ExplainOutput) {
	if r := out.Request; r != nil {
		fmt.Fprintf(w, "request %s at %s: %s %s (API %s, stage %s", r.RequestID, r.Time.Format("2006-01-02T15:04:05.000Z07:00"), r.Method, r.Path, r.APIID, r.Stage)
		if r.KeyID != "" {
			fmt.Fprintf(w, ", key %s", r.KeyID)
		}
		fmt.Fprintf(w, ")\n")
		if out.Allowed {
			fmt.Fprintf(w, "served: %d\n", r.Status)
		} else {
			fmt.Fprintf(w, "refused: %d %s at step %s\n  %s\n", r.Status, r.Reason, r.Step, r.Detail)
		}
		if out.ConfigurationExists != nil && !*out.ConfigurationExists {
			fmt.Fprintf(w, "API %s or its stage %s no longer exists; the dry run below meets what the URL names now\n", r.APIID, r.Stage)
		}
		fmt.Fprintf(w, "\nthe same request now (dry run):\n")
	} else {
		what := in.Method + " " + in.Path
		if out.Allowed {
			fmt.Fprintf(w, "%s: ALLOWED", what)
			if out.Integration != "" {
				fmt.Fprintf(w, " (it would go to its %s integration)", out.Integration)
			}
			fmt.Fprintln(w)
		} else {
			fmt.Fprintf(w, "%s: REFUSED %s — the caller gets %d %s (%s)\n", what, out.Reason, out.Status, out.ErrorType, out.ResponseType)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range out.Steps {
		detail := s.Detail
		switch {
		case s.Verdict == "REFUSE":
			detail = s.Reason + ": " + detail
		case s.Verdict == "NOT_REACHED":
			detail = "(not reached)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, s.Verdict, detail)
	}
	tw.Flush()
	if r := out.Replay; r != nil {
		if r.Allowed {
			fmt.Fprintln(w, "now: allowed")
		} else {
			fmt.Fprintf(w, "now: refused, %s\n", r.Reason)
		}
	}
	if out.Fix != "" {
		fmt.Fprintf(w, "fix: %s\n", out.Fix)
	}
}
