package patch

import (
	"errors"
	"testing"
)

const enumSuffix = "failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]"

func TestValidateOps(t *testing.T) {
	tests := []struct {
		name  string
		input string
		ops   []Op
		want  string // "" means no error
	}{
		{
			name:  "all known ops",
			input: "updateRestApiInput",
			ops:   []Op{{Op: Add}, {Op: Remove}, {Op: Replace}, {Op: Move}, {Op: Copy}, {Op: Test}},
		},
		{name: "no ops", input: "updateRestApiInput"},
		{
			name:  "missing op is left to the caller",
			input: "updateRestApiInput",
			ops:   []Op{{Path: "/name"}},
		},
		{
			name:  "one unknown op (recorded)",
			input: "updateRestApiInput",
			ops:   []Op{{Op: "wrong", Path: "/name"}},
			want:  "1 validation error detected: Value 'wrong' at 'updateRestApiInput.patchOperations.1.member.op' " + enumSuffix,
		},
		{
			name:  "hyphenated op on gateway response (recorded)",
			input: "updateGatewayResponseInput",
			ops:   []Op{{Op: "wrong-op", Path: "/statusCode"}},
			want:  "1 validation error detected: Value 'wrong-op' at 'updateGatewayResponseInput.patchOperations.1.member.op' " + enumSuffix,
		},
		{
			name:  "enum is case-sensitive",
			input: "updateApiKeyInput",
			ops:   []Op{{Op: "Replace"}},
			want:  "1 validation error detected: Value 'Replace' at 'updateApiKeyInput.patchOperations.1.member.op' " + enumSuffix,
		},
		{
			name:  "three unknown ops (recorded)",
			input: "updateRestApiInput",
			ops:   []Op{{Op: "wrong"}, {Op: "wrong"}, {Op: "wrong"}},
			want: "3 validation errors detected: " +
				"Value 'wrong' at 'updateRestApiInput.patchOperations.1.member.op' " + enumSuffix + "; " +
				"Value 'wrong' at 'updateRestApiInput.patchOperations.2.member.op' " + enumSuffix + "; " +
				"Value 'wrong' at 'updateRestApiInput.patchOperations.3.member.op' " + enumSuffix,
		},
		{
			name:  "only the bad ones are counted, 1-based (recorded)",
			input: "updateMethodResponseInput",
			ops:   []Op{{Op: "wrong_op"}, {Op: Replace}, {Op: "wrong_op"}, {Op: Add}},
			want: "2 validation errors detected: " +
				"Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' " + enumSuffix + "; " +
				"Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.3.member.op' " + enumSuffix,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateOps(tt.ops, tt.input)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateOps() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ValidateOps() = %T %v, want *ValidationError", err, err)
			}
			if ve.Message != tt.want || err.Error() != tt.want {
				t.Errorf("message:\n got %q\nwant %q", ve.Message, tt.want)
			}
		})
	}
}

func TestNewValidationErrorCombinesWithOtherMembers(t *testing.T) {
	// Recorded: a bad op plus a bad statusCode label in one UpdateMethodResponse.
	const statusViolation = `Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`
	v := append(OpViolations([]Op{{Op: "wrong_op"}}, "updateMethodResponseInput"), statusViolation)
	err := NewValidationError(v)
	want := "2 validation errors detected: Value 'wrong_op' at 'updateMethodResponseInput.patchOperations.1.member.op' " +
		enumSuffix + "; " + statusViolation
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if err := NewValidationError(nil); err != nil {
		t.Errorf("NewValidationError(nil) = %v, want nil", err)
	}
}
