// Package archtest holds tests of the project's shape rather than of its
// behaviour: that packages import only along the flow DESIGN.md draws
// (inputs → model → backends → persistence), so that an output never
// depends on an input and detection never depends on a renderer; and that
// every kind of the model is handled by both renderers and either shaped
// or declared neutral by verify (kinds_test.go).
package archtest
