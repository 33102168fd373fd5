package sealing

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// openPTY returns the controlling side and the terminal side of a new
// pseudo-terminal, or skips the test where none can be had.
func openPTY(t *testing.T) (ptm, tty *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	ptm = os.NewFile(uintptr(fd), "ptmx")
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("no pseudo-terminal: unlock: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("no pseudo-terminal: number: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ptm, tty
}

func echoOn(t *testing.T, tty *os.File) bool {
	t.Helper()
	st, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return st.Lflag&unix.ECHO != 0
}

// TestTerminalPromptHidesInput types a value into a pseudo-terminal: it
// is read, the terminal does not echo it, and echo is back afterwards.
func TestTerminalPromptHidesInput(t *testing.T) {
	ptm, tty := openPTY(t)
	if !term.IsTerminal(int(tty.Fd())) || !echoOn(t, tty) {
		t.Skip("the pseudo-terminal is not a terminal with echo on")
	}
	var out bytes.Buffer
	p := TerminalPrompt(tty, &out)

	type answer struct {
		value string
		ok    bool
		err   error
	}
	read := func(q Request, typed string) answer {
		done := make(chan answer, 1)
		go func() {
			v, ok, err := p(q)
			done <- answer{v, ok, err}
		}()
		// Type only once echo is off, as a person would after the prompt.
		for deadline := time.Now().Add(5 * time.Second); echoOn(t, tty); {
			if time.Now().After(deadline) {
				t.Fatal("echo was never turned off")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := ptm.WriteString(typed); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-done:
			return a
		case <-time.After(5 * time.Second):
			t.Fatal("the prompt did not return")
			return answer{}
		}
	}

	if a := read(Request{Secret: "api", Key: "token"}, "s3cr3t value\n"); a.err != nil || a.value != "s3cr3t value" || !a.ok {
		t.Errorf("typed value: %+v", a)
	}
	if a := read(Request{Secret: "api", Key: "extra", Optional: true}, "\n"); a.err != nil || a.ok {
		t.Errorf("empty line: %+v", a)
	}
	if !echoOn(t, tty) {
		t.Error("echo is still off after the prompt")
	}

	// Nothing typed came back on the terminal.
	var echoed bytes.Buffer
	buf := make([]byte, 256)
	ptm.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	for {
		n, err := ptm.Read(buf)
		echoed.Write(buf[:n])
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Logf("reading the terminal: %v", err)
			}
			break
		}
	}
	if bytes.Contains(echoed.Bytes(), []byte("s3cr3t")) {
		t.Errorf("the terminal echoed the value: %q", echoed.String())
	}
	if got, want := out.String(), "Value for Secret api key \"token\": \nValue for Secret api key \"extra\" (optional, empty to skip): \n"; got != want {
		t.Errorf("prompt output %q, want %q", got, want)
	}
}
