//go:build xoxe_dynamic

package xoxe

// Tag xoxe_dynamic: an installed libxoxe (a release's C tarball or `make
// install`), found with pkg-config; header and flags come from xoxe.pc, and
// the program loads libxoxe.so.1 at run time.

// #cgo pkg-config: xoxe
import "C"
