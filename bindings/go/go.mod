module github.com/xoxe-dev/xoxe/bindings/go

go 1.22
