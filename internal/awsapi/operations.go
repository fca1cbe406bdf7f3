package awsapi

import (
	"net/http"
)

// Request body limits, by what an operation can legitimately carry.
const (
	// bodyNone is for operations without body members (GET and DELETE):
	// AWS clients send no body, or {}.
	bodyNone int64 = 4 << 10
	// bodyJSON is for ordinary JSON operations. The largest legitimate
	// ones are a stage's 100 variables (name up to 64 characters, value up
	// to 512) or a resource policy (8 KB) with tags: tens of kilobytes.
	bodyJSON int64 = 256 << 10
	// bodyTemplates is for operations that carry mapping templates or
	// model schemas (300 KB each at AWS): room for three full-size ones.
	bodyTemplates int64 = 1 << 20
	// bodyImport is for imported documents (API key CSV files, OpenAPI
	// definitions, documentation parts): AWS's 6 MB import limit.
	bodyImport int64 = 6 << 20
)

// operation is one operation of AWS's apigateway API (service model
// 2015-07-09), as the AWS SDKs send it.
type operation struct {
	name   string // AWS's operation name, e.g. "CreateApiKey"
	method string
	// path is the SDK's URI template; its {labels} are the names that
	// r.PathValue reads.
	path string
	// mode is the value of the mode query parameter that selects this
	// operation among those with the same method and path ("import"), or ""
	// for the operation served when no other one is selected.
	mode string
	// body is the largest request body accepted (0: bodyNone for GET and
	// DELETE, bodyJSON otherwise).
	body int64
	// fn serves the operation; nil means Gatehouse does not implement it.
	fn handlerFunc
}

// maxBody returns the largest request body op accepts.
func (op *operation) maxBody() int64 {
	switch {
	case op.body > 0:
		return op.body
	case op.method == http.MethodGet || op.method == http.MethodDelete:
		return bodyNone
	}
	return bodyJSON
}

// mutating reports whether op changes state (every method but GET); such
// calls go to the audit log.
func (op *operation) mutating() bool { return op.method != http.MethodGet }

// implemented reports whether Gatehouse serves op.
func (op *operation) implemented() bool { return op.fn != nil }

// operations lists every operation of AWS's apigateway API, in the order of
// their names, with the handler of each one Gatehouse implements. It is the
// one table of operations: routing, body limits, the answer to an
// unimplemented operation, the audit log's operation names and the
// README's list of supported operations all come from it; a test checks it
// against the AWS SDK for Go's client.
func (h *Handler) operations() []operation {
	return []operation{
		{name: "CreateApiKey", method: "POST", path: "/apikeys", fn: h.createAPIKey},
		{name: "CreateAuthorizer", method: "POST", path: "/restapis/{restApiId}/authorizers", fn: h.createAuthorizer},
		{name: "CreateBasePathMapping", method: "POST", path: "/domainnames/{domainName}/basepathmappings", fn: h.createBasePathMapping},
		{name: "CreateDeployment", method: "POST", path: "/restapis/{restApiId}/deployments", fn: h.createDeployment},
		{name: "CreateDocumentationPart", method: "POST", path: "/restapis/{restApiId}/documentation/parts", fn: h.createDocumentationPart},
		{name: "CreateDocumentationVersion", method: "POST", path: "/restapis/{restApiId}/documentation/versions", fn: h.createDocumentationVersion},
		{name: "CreateDomainName", method: "POST", path: "/domainnames", fn: h.createDomainName},
		{name: "CreateDomainNameAccessAssociation", method: "POST", path: "/domainnameaccessassociations"},
		{name: "CreateModel", method: "POST", path: "/restapis/{restApiId}/models", body: bodyTemplates, fn: h.createModel},
		{name: "CreateRequestValidator", method: "POST", path: "/restapis/{restApiId}/requestvalidators", fn: h.createRequestValidator},
		{name: "CreateResource", method: "POST", path: "/restapis/{restApiId}/resources/{parentId}", fn: h.createResource},
		{name: "CreateRestApi", method: "POST", path: "/restapis", fn: h.createRestAPI},
		{name: "CreateStage", method: "POST", path: "/restapis/{restApiId}/stages", fn: h.createStage},
		{name: "CreateUsagePlan", method: "POST", path: "/usageplans", fn: h.createUsagePlan},
		{name: "CreateUsagePlanKey", method: "POST", path: "/usageplans/{usagePlanId}/keys", fn: h.createUsagePlanKey},
		{name: "CreateVpcLink", method: "POST", path: "/vpclinks"},
		{name: "DeleteApiKey", method: "DELETE", path: "/apikeys/{apiKey}", fn: h.deleteAPIKey},
		{name: "DeleteAuthorizer", method: "DELETE", path: "/restapis/{restApiId}/authorizers/{authorizerId}", fn: h.deleteAuthorizer},
		{name: "DeleteBasePathMapping", method: "DELETE", path: "/domainnames/{domainName}/basepathmappings/{basePath}", fn: h.deleteBasePathMapping},
		{name: "DeleteClientCertificate", method: "DELETE", path: "/clientcertificates/{clientCertificateId}", fn: h.deleteClientCertificate},
		{name: "DeleteDeployment", method: "DELETE", path: "/restapis/{restApiId}/deployments/{deploymentId}", fn: h.deleteDeployment},
		{name: "DeleteDocumentationPart", method: "DELETE", path: "/restapis/{restApiId}/documentation/parts/{documentationPartId}", fn: h.deleteDocumentationPart},
		{name: "DeleteDocumentationVersion", method: "DELETE", path: "/restapis/{restApiId}/documentation/versions/{documentationVersion}", fn: h.deleteDocumentationVersion},
		{name: "DeleteDomainName", method: "DELETE", path: "/domainnames/{domainName}", fn: h.deleteDomainName},
		{name: "DeleteDomainNameAccessAssociation", method: "DELETE", path: "/domainnameaccessassociations/{domainNameAccessAssociationArn}"},
		{name: "DeleteGatewayResponse", method: "DELETE", path: "/restapis/{restApiId}/gatewayresponses/{responseType}", fn: h.deleteGatewayResponse},
		{name: "DeleteIntegration", method: "DELETE", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration", fn: h.deleteIntegration},
		{name: "DeleteIntegrationResponse", method: "DELETE", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration/responses/{statusCode}", fn: h.deleteIntegrationResponse},
		{name: "DeleteMethod", method: "DELETE", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}", fn: h.deleteMethod},
		{name: "DeleteMethodResponse", method: "DELETE", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/responses/{statusCode}", fn: h.deleteMethodResponse},
		{name: "DeleteModel", method: "DELETE", path: "/restapis/{restApiId}/models/{modelName}", fn: h.deleteModel},
		{name: "DeleteRequestValidator", method: "DELETE", path: "/restapis/{restApiId}/requestvalidators/{requestValidatorId}", fn: h.deleteRequestValidator},
		{name: "DeleteResource", method: "DELETE", path: "/restapis/{restApiId}/resources/{resourceId}", fn: h.deleteResource},
		{name: "DeleteRestApi", method: "DELETE", path: "/restapis/{restApiId}", fn: h.deleteRestAPI},
		{name: "DeleteStage", method: "DELETE", path: "/restapis/{restApiId}/stages/{stageName}", fn: h.deleteStage},
		{name: "DeleteUsagePlan", method: "DELETE", path: "/usageplans/{usagePlanId}", fn: h.deleteUsagePlan},
		{name: "DeleteUsagePlanKey", method: "DELETE", path: "/usageplans/{usagePlanId}/keys/{keyId}", fn: h.deleteUsagePlanKey},
		{name: "DeleteVpcLink", method: "DELETE", path: "/vpclinks/{vpcLinkId}"},
		{name: "FlushStageAuthorizersCache", method: "DELETE", path: "/restapis/{restApiId}/stages/{stageName}/cache/authorizers", fn: h.flushStageAuthorizersCache},
		{name: "FlushStageCache", method: "DELETE", path: "/restapis/{restApiId}/stages/{stageName}/cache/data", fn: h.flushStageCache},
		{name: "GenerateClientCertificate", method: "POST", path: "/clientcertificates", fn: h.generateClientCertificate},
		{name: "GetAccount", method: "GET", path: "/account", fn: h.getAccount},
		{name: "GetApiKey", method: "GET", path: "/apikeys/{apiKey}", fn: h.getAPIKey},
		{name: "GetApiKeys", method: "GET", path: "/apikeys", fn: h.getAPIKeys},
		{name: "GetAuthorizer", method: "GET", path: "/restapis/{restApiId}/authorizers/{authorizerId}", fn: h.getAuthorizer},
		{name: "GetAuthorizers", method: "GET", path: "/restapis/{restApiId}/authorizers", fn: h.getAuthorizers},
		{name: "GetBasePathMapping", method: "GET", path: "/domainnames/{domainName}/basepathmappings/{basePath}", fn: h.getBasePathMapping},
		{name: "GetBasePathMappings", method: "GET", path: "/domainnames/{domainName}/basepathmappings", fn: h.getBasePathMappings},
		{name: "GetClientCertificate", method: "GET", path: "/clientcertificates/{clientCertificateId}", fn: h.getClientCertificate},
		{name: "GetClientCertificates", method: "GET", path: "/clientcertificates", fn: h.getClientCertificates},
		{name: "GetDeployment", method: "GET", path: "/restapis/{restApiId}/deployments/{deploymentId}", fn: h.getDeployment},
		{name: "GetDeployments", method: "GET", path: "/restapis/{restApiId}/deployments", fn: h.getDeployments},
		{name: "GetDocumentationPart", method: "GET", path: "/restapis/{restApiId}/documentation/parts/{documentationPartId}", fn: h.getDocumentationPart},
		{name: "GetDocumentationParts", method: "GET", path: "/restapis/{restApiId}/documentation/parts", fn: h.getDocumentationParts},
		{name: "GetDocumentationVersion", method: "GET", path: "/restapis/{restApiId}/documentation/versions/{documentationVersion}", fn: h.getDocumentationVersion},
		{name: "GetDocumentationVersions", method: "GET", path: "/restapis/{restApiId}/documentation/versions", fn: h.getDocumentationVersions},
		{name: "GetDomainName", method: "GET", path: "/domainnames/{domainName}", fn: h.getDomainName},
		{name: "GetDomainNameAccessAssociations", method: "GET", path: "/domainnameaccessassociations"},
		{name: "GetDomainNames", method: "GET", path: "/domainnames", fn: h.getDomainNames},
		{name: "GetExport", method: "GET", path: "/restapis/{restApiId}/stages/{stageName}/exports/{exportType}", fn: h.getExport},
		{name: "GetGatewayResponse", method: "GET", path: "/restapis/{restApiId}/gatewayresponses/{responseType}", fn: h.getGatewayResponse},
		{name: "GetGatewayResponses", method: "GET", path: "/restapis/{restApiId}/gatewayresponses", fn: h.getGatewayResponses},
		{name: "GetIntegration", method: "GET", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration", fn: h.getIntegration},
		{name: "GetIntegrationResponse", method: "GET", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration/responses/{statusCode}", fn: h.getIntegrationResponse},
		{name: "GetMethod", method: "GET", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}", fn: h.getMethod},
		{name: "GetMethodResponse", method: "GET", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/responses/{statusCode}", fn: h.getMethodResponse},
		{name: "GetModel", method: "GET", path: "/restapis/{restApiId}/models/{modelName}", fn: h.getModel},
		{name: "GetModelTemplate", method: "GET", path: "/restapis/{restApiId}/models/{modelName}/default_template"},
		{name: "GetModels", method: "GET", path: "/restapis/{restApiId}/models", fn: h.getModels},
		{name: "GetRequestValidator", method: "GET", path: "/restapis/{restApiId}/requestvalidators/{requestValidatorId}", fn: h.getRequestValidator},
		{name: "GetRequestValidators", method: "GET", path: "/restapis/{restApiId}/requestvalidators", fn: h.getRequestValidators},
		{name: "GetResource", method: "GET", path: "/restapis/{restApiId}/resources/{resourceId}", fn: h.getResource},
		{name: "GetResources", method: "GET", path: "/restapis/{restApiId}/resources", fn: h.getResources},
		{name: "GetRestApi", method: "GET", path: "/restapis/{restApiId}", fn: h.getRestAPI},
		{name: "GetRestApis", method: "GET", path: "/restapis", fn: h.getRestAPIs},
		{name: "GetSdk", method: "GET", path: "/restapis/{restApiId}/stages/{stageName}/sdks/{sdkType}"},
		{name: "GetSdkType", method: "GET", path: "/sdktypes/{id}"},
		{name: "GetSdkTypes", method: "GET", path: "/sdktypes"},
		{name: "GetStage", method: "GET", path: "/restapis/{restApiId}/stages/{stageName}", fn: h.getStage},
		{name: "GetStages", method: "GET", path: "/restapis/{restApiId}/stages", fn: h.getStages},
		{name: "GetTags", method: "GET", path: "/tags/{resourceArn}", fn: h.getTags},
		{name: "GetUsage", method: "GET", path: "/usageplans/{usagePlanId}/usage", fn: h.getUsage},
		{name: "GetUsagePlan", method: "GET", path: "/usageplans/{usagePlanId}", fn: h.getUsagePlan},
		{name: "GetUsagePlanKey", method: "GET", path: "/usageplans/{usagePlanId}/keys/{keyId}", fn: h.getUsagePlanKey},
		{name: "GetUsagePlanKeys", method: "GET", path: "/usageplans/{usagePlanId}/keys", fn: h.getUsagePlanKeys},
		{name: "GetUsagePlans", method: "GET", path: "/usageplans", fn: h.getUsagePlans},
		{name: "GetVpcLink", method: "GET", path: "/vpclinks/{vpcLinkId}"},
		{name: "GetVpcLinks", method: "GET", path: "/vpclinks"},
		{name: "ImportApiKeys", method: "POST", path: "/apikeys", mode: "import", body: bodyImport, fn: h.importAPIKeys},
		{name: "ImportDocumentationParts", method: "PUT", path: "/restapis/{restApiId}/documentation/parts", body: bodyImport, fn: h.importDocumentationParts},
		{name: "ImportRestApi", method: "POST", path: "/restapis", mode: "import", body: bodyImport, fn: h.importRestAPI},
		{name: "PutGatewayResponse", method: "PUT", path: "/restapis/{restApiId}/gatewayresponses/{responseType}", body: bodyTemplates, fn: h.putGatewayResponse},
		{name: "PutIntegration", method: "PUT", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration", body: bodyTemplates, fn: h.putIntegration},
		{name: "PutIntegrationResponse", method: "PUT", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration/responses/{statusCode}", body: bodyTemplates, fn: h.putIntegrationResponse},
		{name: "PutMethod", method: "PUT", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}", fn: h.putMethod},
		{name: "PutMethodResponse", method: "PUT", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/responses/{statusCode}", fn: h.putMethodResponse},
		{name: "PutRestApi", method: "PUT", path: "/restapis/{restApiId}", body: bodyImport, fn: h.putRestAPI},
		{name: "RejectDomainNameAccessAssociation", method: "POST", path: "/rejectdomainnameaccessassociations"},
		{name: "TagResource", method: "PUT", path: "/tags/{resourceArn}", fn: h.tagResource},
		{name: "TestInvokeAuthorizer", method: "POST", path: "/restapis/{restApiId}/authorizers/{authorizerId}", fn: h.testInvokeAuthorizer},
		{name: "TestInvokeMethod", method: "POST", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}", fn: h.testInvokeMethod},
		{name: "UntagResource", method: "DELETE", path: "/tags/{resourceArn}", fn: h.untagResource},
		{name: "UpdateAccount", method: "PATCH", path: "/account", fn: h.updateAccount},
		{name: "UpdateApiKey", method: "PATCH", path: "/apikeys/{apiKey}", fn: h.updateAPIKey},
		{name: "UpdateAuthorizer", method: "PATCH", path: "/restapis/{restApiId}/authorizers/{authorizerId}", fn: h.updateAuthorizer},
		{name: "UpdateBasePathMapping", method: "PATCH", path: "/domainnames/{domainName}/basepathmappings/{basePath}", fn: h.updateBasePathMapping},
		{name: "UpdateClientCertificate", method: "PATCH", path: "/clientcertificates/{clientCertificateId}", fn: h.updateClientCertificate},
		{name: "UpdateDeployment", method: "PATCH", path: "/restapis/{restApiId}/deployments/{deploymentId}", fn: h.updateDeployment},
		{name: "UpdateDocumentationPart", method: "PATCH", path: "/restapis/{restApiId}/documentation/parts/{documentationPartId}", fn: h.updateDocumentationPart},
		{name: "UpdateDocumentationVersion", method: "PATCH", path: "/restapis/{restApiId}/documentation/versions/{documentationVersion}", fn: h.updateDocumentationVersion},
		{name: "UpdateDomainName", method: "PATCH", path: "/domainnames/{domainName}", fn: h.updateDomainName},
		{name: "UpdateGatewayResponse", method: "PATCH", path: "/restapis/{restApiId}/gatewayresponses/{responseType}", body: bodyTemplates, fn: h.updateGatewayResponse},
		{name: "UpdateIntegration", method: "PATCH", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration", body: bodyTemplates, fn: h.updateIntegration},
		{name: "UpdateIntegrationResponse", method: "PATCH", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/integration/responses/{statusCode}", body: bodyTemplates, fn: h.updateIntegrationResponse},
		{name: "UpdateMethod", method: "PATCH", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}", fn: h.updateMethod},
		{name: "UpdateMethodResponse", method: "PATCH", path: "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}/responses/{statusCode}", fn: h.updateMethodResponse},
		{name: "UpdateModel", method: "PATCH", path: "/restapis/{restApiId}/models/{modelName}", body: bodyTemplates, fn: h.updateModel},
		{name: "UpdateRequestValidator", method: "PATCH", path: "/restapis/{restApiId}/requestvalidators/{requestValidatorId}", fn: h.updateRequestValidator},
		{name: "UpdateResource", method: "PATCH", path: "/restapis/{restApiId}/resources/{resourceId}", fn: h.updateResource},
		{name: "UpdateRestApi", method: "PATCH", path: "/restapis/{restApiId}", fn: h.updateRestAPI},
		{name: "UpdateStage", method: "PATCH", path: "/restapis/{restApiId}/stages/{stageName}", fn: h.updateStage},
		{name: "UpdateUsage", method: "PATCH", path: "/usageplans/{usagePlanId}/keys/{keyId}/usage", fn: h.updateUsage},
		{name: "UpdateUsagePlan", method: "PATCH", path: "/usageplans/{usagePlanId}", fn: h.updateUsagePlan},
		{name: "UpdateVpcLink", method: "PATCH", path: "/vpclinks/{vpcLinkId}"},
	}
}

// route is one method and path of the management API and the operations
// it serves: two when the mode query parameter selects between them.
type route struct {
	h   *Handler
	ops []*operation
}

// pick returns the operation r asks for.
func (rt *route) pick(r *http.Request) *operation {
	mode := r.URL.Query().Get("mode")
	var fallback *operation
	for _, op := range rt.ops {
		switch op.mode {
		case "":
			fallback = op
		case mode:
			return op
		}
	}
	return fallback
}

// ServeHTTP serves the operation ServeHTTP resolved, with the path values
// the mux has just set.
func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := rt.pick(r)
	if !op.implemented() {
		rt.h.writeError(w, r, &notImplementedError{op: op.name})
		return
	}
	if err := op.fn(w, r); err != nil {
		rt.h.writeError(w, r, err)
	}
}

// registerOperations puts every operation on the mux, one route per
// method and path.
func (h *Handler) registerOperations() {
	routes := map[string]*route{}
	for _, op := range h.operations() {
		pattern := op.method + " " + op.path
		rt := routes[pattern]
		if rt == nil {
			rt = &route{h: h}
			routes[pattern] = rt
			h.mux.Handle(pattern, rt)
		}
		rt.ops = append(rt.ops, &op)
	}
	h.mux.Handle("/", h.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return &unknownOperationError{method: r.Method, path: redactedPath(r, nil)}
	}))
}

// resolve returns the operation r asks for, or nil when no AWS operation
// has its method and path. It reads neither the body nor r's path values.
func (h *Handler) resolve(r *http.Request) *operation {
	hd, _ := h.mux.Handler(r)
	if rt, ok := hd.(*route); ok {
		return rt.pick(r)
	}
	return nil
}
