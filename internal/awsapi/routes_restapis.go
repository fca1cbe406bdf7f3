package awsapi

// restAPIRoutes registers RestApi, Resource, Method, Integration,
// Deployment, Stage and GatewayResponse operations.
func (h *Handler) restAPIRoutes() {
	const (
		api      = "/restapis/{restapi_id}"
		resource = api + "/resources/{resource_id}"
		method   = resource + "/methods/{http_method}"
		integ    = method + "/integration"
		stage    = api + "/stages/{stage_name}"
	)
	routes := []struct {
		pattern string
		fn      handlerFunc
	}{
		{"POST /restapis", h.createRestAPI},
		{"GET /restapis", h.getRestAPIs},
		{"GET " + api, h.getRestAPI},
		{"PATCH " + api, h.updateRestAPI},
		{"DELETE " + api, h.deleteRestAPI},
		{"PUT " + api, h.putRestAPI},

		{"GET " + api + "/resources", h.getResources},
		{"POST " + resource, h.createResource},
		{"GET " + resource, h.getResource},
		{"PATCH " + resource, h.updateResource},
		{"DELETE " + resource, h.deleteResource},

		{"PUT " + method, h.putMethod},
		{"GET " + method, h.getMethod},
		{"PATCH " + method, h.updateMethod},
		{"DELETE " + method, h.deleteMethod},

		{"PUT " + method + "/responses/{status_code}", h.putMethodResponse},
		{"GET " + method + "/responses/{status_code}", h.getMethodResponse},
		{"PATCH " + method + "/responses/{status_code}", h.updateMethodResponse},
		{"DELETE " + method + "/responses/{status_code}", h.deleteMethodResponse},

		{"PUT " + integ, h.putIntegration},
		{"GET " + integ, h.getIntegration},
		{"PATCH " + integ, h.updateIntegration},
		{"DELETE " + integ, h.deleteIntegration},

		{"PUT " + integ + "/responses/{status_code}", h.putIntegrationResponse},
		{"GET " + integ + "/responses/{status_code}", h.getIntegrationResponse},
		{"PATCH " + integ + "/responses/{status_code}", h.updateIntegrationResponse},
		{"DELETE " + integ + "/responses/{status_code}", h.deleteIntegrationResponse},

		{"POST " + api + "/deployments", h.createDeployment},
		{"GET " + api + "/deployments", h.getDeployments},
		{"GET " + api + "/deployments/{deployment_id}", h.getDeployment},
		{"PATCH " + api + "/deployments/{deployment_id}", h.updateDeployment},
		{"DELETE " + api + "/deployments/{deployment_id}", h.deleteDeployment},

		{"POST " + api + "/stages", h.createStage},
		{"GET " + api + "/stages", h.getStages},
		{"GET " + stage, h.getStage},
		{"PATCH " + stage, h.updateStage},
		{"DELETE " + stage, h.deleteStage},
		{"DELETE " + stage + "/cache/data", h.flushStageCache},
		{"DELETE " + stage + "/cache/authorizers", h.flushStageAuthorizersCache},

		{"GET " + api + "/gatewayresponses", h.getGatewayResponses},
		{"PUT " + api + "/gatewayresponses/{response_type}", h.putGatewayResponse},
		{"GET " + api + "/gatewayresponses/{response_type}", h.getGatewayResponse},
		{"PATCH " + api + "/gatewayresponses/{response_type}", h.updateGatewayResponse},
		{"DELETE " + api + "/gatewayresponses/{response_type}", h.deleteGatewayResponse},
	}
	for _, rt := range routes {
		h.route(rt.pattern, rt.fn)
	}
}
