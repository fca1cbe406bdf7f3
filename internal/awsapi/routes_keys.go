package awsapi

// keyRoutes registers ApiKey, UsagePlan, UsagePlanKey and Usage operations.
func (h *Handler) keyRoutes() {
	h.route("POST /apikeys", h.createAPIKey) // ?mode=import: ImportApiKeys
	h.route("GET /apikeys", h.getAPIKeys)
	h.route("GET /apikeys/{api_Key}", h.getAPIKey)
	h.route("PATCH /apikeys/{api_Key}", h.updateAPIKey)
	h.route("DELETE /apikeys/{api_Key}", h.deleteAPIKey)

	h.route("POST /usageplans", h.createUsagePlan)
	h.route("GET /usageplans", h.getUsagePlans)
	h.route("GET /usageplans/{usageplanId}", h.getUsagePlan)
	h.route("PATCH /usageplans/{usageplanId}", h.updateUsagePlan)
	h.route("DELETE /usageplans/{usageplanId}", h.deleteUsagePlan)

	h.route("POST /usageplans/{usageplanId}/keys", h.createUsagePlanKey)
	h.route("GET /usageplans/{usageplanId}/keys", h.getUsagePlanKeys)
	h.route("GET /usageplans/{usageplanId}/keys/{keyId}", h.getUsagePlanKey)
	h.route("DELETE /usageplans/{usageplanId}/keys/{keyId}", h.deleteUsagePlanKey)

	h.route("GET /usageplans/{usageplanId}/usage", h.getUsage)
	h.route("PATCH /usageplans/{usageplanId}/keys/{keyId}/usage", h.updateUsage)
}

// tagRoutes registers the tags operations. The ARN arrives percent-encoded
// in one path segment; PathValue decodes it.
func (h *Handler) tagRoutes() {
	h.route("GET /tags/{resource_arn}", h.getTags)
	h.route("PUT /tags/{resource_arn}", h.tagResource)
	h.route("DELETE /tags/{resource_arn}", h.untagResource)
}
