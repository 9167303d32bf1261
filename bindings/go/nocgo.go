//go:build !cgo

package xoxe

// The package is a cgo binding: with cgo off (CGO_ENABLED=0, the default when
// cross-compiling) the files that call the library drop out of the build and
// the compiler would list their missing names. This undefined type makes its
// first error say what to do instead.
type cgoRequired struct {
	_ xoxe_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler
}
