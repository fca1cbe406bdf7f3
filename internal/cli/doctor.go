package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/doctor"
	"github.com/gatehouse-dev/gatehouse/internal/server"
	"github.com/spf13/cobra"
)

// Doctor's exit codes.
const (
	doctorExitClean    = 0 // no finding at warning or above
	doctorExitFindings = 1 // a finding at warning or above
	doctorExitError    = 2 // the run failed
)

func newDoctor(stdout io.Writer) *cobra.Command {
	var (
		f      adminFlags
		apiID  string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "doctor [--api ID] [--json]",
		Short: "Lint the configuration: the causes of 403s and CORS errors, before a caller meets them",
		Long: `Ask a node to check its configuration (POST /_gatehouse/doctor) and print the
findings by severity, each with a stable code, the resource at fault, what
callers see and the fix. --api limits the run to one REST API (and the usage
plans attached to it). Exit status: 0 when no finding is a warning or an
error, 1 when one is, 2 when the check could not run.

The node is the local one by default: --endpoint http://` + server.DefaultAdminListen + `, signed with
the credentials of --credentials, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
else <data-dir>/` + server.CredentialsFile + `.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &exitCodeError{code: doctorExitError, err: fmt.Errorf("doctor takes no arguments, got %q (use --api ID to check one API)", args)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAdminClient(f, os.Getenv)
			if err != nil {
				return &exitCodeError{code: doctorExitError, err: err}
			}
			var in any = struct{}{}
			if apiID != "" {
				in = server.DoctorRequest{APIID: apiID}
			}
			var rep doctor.Report
			if err := c.call(cmd.Context(), "/_gatehouse/doctor", in, &rep); err != nil {
				return &exitCodeError{code: doctorExitError, err: fmt.Errorf("doctor: %w", err)}
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(&rep)
			} else {
				err = printDoctor(stdout, &rep, apiID)
			}
			if err != nil {
				return &exitCodeError{code: doctorExitError, err: err}
			}
			if rep.Failed() {
				return &exitCodeError{code: doctorExitFindings}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitCodeError{code: doctorExitError, err: err}
	})
	fl := cmd.Flags()
	fl.StringVar(&apiID, "api", "", "check only this REST API (its stages, methods, gateway responses and the usage plans attached to it)")
	fl.BoolVar(&asJSON, "json", false, `print the report as JSON: {"findings": [{"code", "severity", "resource", "message", "fix"}…], "counts": {"error", "warning", "info"}}`)
	addAdminFlags(cmd, &f)
	return cmd
}

// printDoctor writes a report for a person: a summary line, then the
// findings grouped by severity, most severe first.
func printDoctor(w io.Writer, rep *doctor.Report, apiID string) error {
	var b strings.Builder
	scope := "the configuration"
	if apiID != "" {
		scope = "API " + apiID
	}
	c := rep.Counts
	if c.Error+c.Warning+c.Info == 0 {
		fmt.Fprintf(&b, "gatehouse doctor: no problems found in %s.\n", scope)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "gatehouse doctor: %s in %s.\n", plural(c.Error, "error")+", "+plural(c.Warning, "warning")+", "+fmt.Sprintf("%d info", c.Info), scope)
	for _, sev := range []doctor.Severity{doctor.Error, doctor.Warning, doctor.Info} {
		first := true
		for _, f := range rep.Findings {
			if f.Severity != sev {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s\n", strings.ToUpper(string(sev)))
				first = false
			}
			fmt.Fprintf(&b, "  %s  %s\n    %s\n    Fix: %s\n", f.Code, f.Resource, f.Message, f.Fix)
		}
	}
	if len(rep.Omitted) > 0 {
		b.WriteString("\n")
		for _, code := range sortedKeys(rep.Omitted) {
			fmt.Fprintf(&b, "(%d more %s findings not listed; --json has the same cap, counts include them)\n", rep.Omitted[code], code)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
