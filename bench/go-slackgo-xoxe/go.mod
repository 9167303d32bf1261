module xoxe.bench/slackgoxoxe

go 1.26

require (
	github.com/slack-go/slack v0.35.0
	github.com/xoxe-dev/xoxe/bindings/go v0.0.0
)

require github.com/gorilla/websocket v1.5.3 // indirect

replace github.com/xoxe-dev/xoxe/bindings/go => ../../bindings/go
