package control

import (
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/apigw"
)

// TestGatewayResponseEnumIsTheCatalogue: the ValidationException's type
// list (AWS's print order) names exactly the catalogue's types, each once.
func TestGatewayResponseEnumIsTheCatalogue(t *testing.T) {
	got := slices.Sorted(slices.Values(gatewayResponseEnum))
	if want := apigw.GatewayResponseTypes(); !slices.Equal(got, want) {
		t.Fatalf("gatewayResponseEnum sorted = %v\ncatalogue = %v", got, want)
	}
	for _, typ := range gatewayResponseEnum {
		if err := checkResponseType(typ); err != nil {
			t.Errorf("checkResponseType(%s) = %v", typ, err)
		}
	}
	if err := checkResponseType("NOT_A_TYPE"); err == nil {
		t.Error("checkResponseType accepted NOT_A_TYPE")
	}
}
