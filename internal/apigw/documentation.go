package apigw

import "time"

// DocumentationPart documents one part of an API (DocumentationParts).
// Gatehouse stores and returns parts; they change no behaviour.
type DocumentationPart struct {
	ID       string
	Location DocumentationLocation
	// Properties is the part's JSON text, as the caller sent it.
	Properties string
}

// DocumentationLocation is where a documentation part applies.
type DocumentationLocation struct {
	Type       string
	Path       string
	Method     string
	StatusCode string
	Name       string
}

// DocumentationLocationTypes are the location types AWS takes, in the
// order of its validation message.
var DocumentationLocationTypes = []string{
	"RESPONSE_BODY", "RESPONSE", "METHOD", "MODEL", "AUTHORIZER", "RESPONSE_HEADER",
	"RESOURCE", "PATH_PARAMETER", "REQUEST_BODY", "QUERY_PARAMETER", "API", "REQUEST_HEADER",
}

// DocumentationVersion is a named snapshot of an API's documentation parts.
type DocumentationVersion struct {
	Version     string
	Description string
	CreatedDate time.Time
	// Parts are the API's documentation parts when the version was made.
	Parts map[string]*DocumentationPart
}
