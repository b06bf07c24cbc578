// Package archtest holds tests of the project's shape rather than of its
// behaviour: that packages import only along the flow DESIGN.md draws
// (inputs → model → backends → persistence), so that an output never
// depends on an input and detection never depends on a renderer.
package archtest
