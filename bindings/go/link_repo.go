//go:build !xoxe_dynamic

package xoxe

// Development from a checkout of the repository: the header in include/ and
// the static library that `cargo build --release` writes to target/release,
// followed by what that archive needs from the system on Linux
// (`cargo rustc --release --lib --crate-type staticlib -- --print
// native-static-libs`). A release's module replaces this file with
// link_release.go (packaging/go-dist.sh).

// #cgo CFLAGS: -I${SRCDIR}/../../include
// #cgo LDFLAGS: ${SRCDIR}/../../target/release/libxoxe.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
import "C"
