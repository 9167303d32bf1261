// slack-go RotateTokens, for `make bench`.
//
//	slackgo BASE RT CALLS WARMUP   prints {"us_per_call": …}
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

func main() {
	base, rt := os.Args[1], os.Args[2]
	calls, _ := strconv.Atoi(os.Args[3])
	warmup, _ := strconv.Atoi(os.Args[4])
	api := slack.New("", slack.OptionAPIURL(base))
	rotate := func() {
		// configToken "" falls back to the client's (none): only refresh_token matters.
		if _, err := api.RotateTokens("", rt); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for i := 0; i < warmup; i++ {
		rotate()
	}
	t := time.Now()
	for i := 0; i < calls; i++ {
		rotate()
	}
	b, _ := json.Marshal(map[string]float64{"us_per_call": float64(time.Since(t).Nanoseconds()) / 1e3 / float64(calls)})
	fmt.Println(string(b))
}
