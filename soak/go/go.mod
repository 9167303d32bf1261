module github.com/xoxe-dev/xoxe/soak/go

go 1.22

require github.com/xoxe-dev/xoxe/bindings/go v0.0.0

replace github.com/xoxe-dev/xoxe/bindings/go => ../../bindings/go
