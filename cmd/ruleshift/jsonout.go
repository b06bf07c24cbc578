package main

import (
	"encoding/json"
	"io"
)

// The JSON outputs of detect, verify, apply --dry-run and persist (lint
// and drift have their own). Each is one object with "version", the
// version of its schema in schema/ (schema/NAME.v1.json), which changes
// only when a field changes meaning or goes away; new fields may appear
// within a version.
const jsonVersion = 1

// writeJSON prints v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(exitIO, "%v", err)
	}
	return nil
}

// orEmptyList keeps a nil list from printing as null.
func orEmptyList[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
