// Package schema holds the JSON Schemas of ruleshift's JSON outputs
// (NAME.v1.json, documented in the README) and validates documents
// against them, for the tests that check every output.
package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.json
var files embed.FS

var (
	once     sync.Once
	compiled map[string]*jsonschema.Schema
	compErr  error
)

func load() {
	c := jsonschema.NewCompiler()
	entries, _ := files.ReadDir(".")
	compiled = map[string]*jsonschema.Schema{}
	for _, e := range entries {
		data, _ := files.ReadFile(e.Name())
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			compErr = fmt.Errorf("%s: %v", e.Name(), err)
			return
		}
		if err := c.AddResource(e.Name(), doc); err != nil {
			compErr = err
			return
		}
	}
	for _, e := range entries {
		s, err := c.Compile(e.Name())
		if err != nil {
			compErr = err
			return
		}
		compiled[e.Name()] = s
	}
}

// Names lists the schema files.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Validate checks data, one JSON document, against the schema file name
// ("verify.v1.json").
func Validate(name string, data []byte) error {
	once.Do(load)
	if compErr != nil {
		return compErr
	}
	s := compiled[name]
	if s == nil {
		return fmt.Errorf("no schema %s", name)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON document")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(doc)
}
