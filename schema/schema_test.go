package schema

import "testing"

func TestSchemasCompile(t *testing.T) {
	if len(Names()) < 6 {
		t.Fatalf("schemas: %v", Names())
	}
	for _, n := range Names() {
		if err := Validate(n, []byte(`{}`)); err == nil {
			t.Errorf("%s accepts an empty object", n)
		}
	}
}
