package batch

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"aivabatch/apiclient/sandbox"
	"aivabatch/apiclient/sandbox/sandboxtest"
	"aivabatch/formats"
)

// TestInterruptUnblocksStdin: a run reading stdin from a pipe that sends
// a few rows and then nothing more ends as interrupted when ctx is
// cancelled (SIGTERM), instead of waiting for the pipe for ever.
func TestInterruptUnblocksStdin(t *testing.T) {
	sb := sandboxtest.NewServer(t, sandbox.Options{})
	t.Chdir(t.TempDir())
	for _, cmd := range []string{"validate", "import", "validate before the header"} {
		t.Run(cmd, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			if cmd != "validate before the header" {
				go pw.Write([]byte("name,email\nAna,ana@example.com\n"))
			}
			ctx, cancel := context.WithCancel(context.Background())
			in := InputConfig{Path: "-", Stdin: pr, Reader: formats.ReaderOptions{Format: formats.FormatCSV, Encoding: "utf-8"}}
			done := make(chan error, 1)
			go func() {
				var err error
				if cmd == "import" {
					_, err = Import(ctx, ImportConfig{InputConfig: in, Client: newClient(t, sb.URL, sandbox.TokenReadWrite, nil)})
				} else {
					_, err = Validate(ctx, ValidateConfig{InputConfig: in})
				}
				done <- err
			}()
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("got %v, want the interruption", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still waiting for stdin 10 s after the interruption")
			}
		})
	}
}
