package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gatehouse-dev/gatehouse/internal/demo"
	"github.com/gatehouse-dev/gatehouse/internal/server"
)

// seedDemo seeds the example API on a new data dir (or finds the one an
// earlier --demo start made) and prints, on the operator's console, the
// admin credentials, the demo key and ready-to-run commands. This is the
// only place a key value is printed, and it goes to stdout, never to the log.
func seedDemo(ctx context.Context, srv *server.Server, dataDir, adminURL, dataURL string, stdout io.Writer) error {
	r, err := demo.Seed(ctx, srv.Control)
	if errors.Is(err, demo.ErrNotNew) {
		fmt.Fprintf(stdout, "--demo: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	c := srv.Credentials
	verb := "seeded"
	if !r.Created {
		verb = "found (from an earlier --demo start)"
	}
	fmt.Fprintf(stdout, `Gatehouse demo %s.

Admin credentials (also in %s):
  aws_access_key_id     = %s
  aws_secret_access_key = %s

API %s (id %s): POST %s, API key required, deployed to stage %q.
Usage plan %s (id %s): %g requests/s, burst %d, %d requests per %s.
API key %s (id %s): %s

Call it:
  curl -X POST -H 'x-api-key: %s' %s/restapis/%s/%s/_user_request_%s

Manage it with the AWS CLI:
  AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=us-east-1 \
    aws --endpoint-url %s apigateway get-rest-apis

`, verb, filepath.Join(dataDir, server.CredentialsFile), c.AccessKeyID, c.SecretAccessKey,
		demo.APIName, r.APIID, demo.Path, demo.Stage,
		demo.PlanName, r.PlanID, demo.Throttle.RateLimit, demo.Throttle.BurstLimit, demo.Quota.Limit, demo.Quota.Period,
		demo.KeyName, r.KeyID, r.KeyValue,
		r.KeyValue, dataURL, r.APIID, demo.Stage, demo.Path,
		c.AccessKeyID, c.SecretAccessKey, adminURL)
	return nil
}
