package control

import (
	"context"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// ExportSource is what GetExport describes: the API's settings (name,
// description, version, gateway responses, policy…) and the deployment
// its stage serves, whose snapshot gives the resources, methods,
// authorizers, models and validators (the deployed definition, never the
// working copy).
type ExportSource struct {
	API        *apigw.RestAPI
	Deployment *apigw.Deployment
	Stage      string
}

// ExportSource returns what GetExport of API apiID's stage exports: an
// unknown API or stage is NotFound with AWS's texts.
func (s *Service) ExportSource(ctx context.Context, apiID, stage string) (*ExportSource, error) {
	var out *ExportSource
	err := s.view(ctx, func(r store.Reader) error {
		api, err := s.getAPI(ctx, r, apiID)
		if err != nil {
			return err
		}
		st, err := r.GetStage(ctx, apiID, stage)
		if err != nil {
			return notFound(err, msgStageNotFound)
		}
		d, err := r.GetDeployment(ctx, apiID, st.DeploymentID)
		if err != nil {
			return notFound(err, msgDeploymentNotFound)
		}
		out = &ExportSource{API: api, Deployment: d, Stage: st.Name}
		return nil
	})
	return out, err
}
