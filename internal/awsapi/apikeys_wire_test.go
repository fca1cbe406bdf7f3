package awsapi

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

var wireTime = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func wireKey() *apigw.APIKey {
	return &apigw.APIKey{
		ID: "4vq3yryqm5", Name: "partner-acme", Description: "Acme's key", CustomerID: "acme",
		Enabled: true, CreatedDate: wireTime, LastUpdatedDate: wireTime.Add(time.Hour),
		StageKeys: []string{"rohkz08x02/dev"}, Tags: map[string]string{"team": "a"},
		LookupHash: []byte("hash"), SealedValue: []byte("sealed"), Last4: "WXYZ",
	}
}

func TestAPIKeyWire(t *testing.T) {
	const value = "Abcdefghij0123456789Abcdefghij012345WXYZ"
	goldenJSON(t, "ApiKey", toAPIKeyJSON(wireKey(), value))

	// Update responses: no value, tags {} even when none, stageKeys [].
	bare := &apigw.APIKey{ID: "4vq3yryqm5", CreatedDate: wireTime, LastUpdatedDate: wireTime}
	goldenJSON(t, "ApiKeyUpdate", apiKeyTagsJSON{apiKeyJSON: toAPIKeyJSON(bare, ""), Tags: emptyMap(bare.Tags)})
	goldenJSON(t, "ApiKeyList", newList([]apiKeyJSON{toAPIKeyJSON(bare, "")}, "next-token"))
	goldenJSON(t, "ApiKeyImport", importKeysJSON{IDs: []string{"4vq3yryqm5"}, Warnings: []string{"line 3: Key is required"}})
}
