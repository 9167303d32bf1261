module github.com/xoxe-dev/xoxe/packaging/go/mkproxy

go 1.26.0

require golang.org/x/mod v0.43.0
