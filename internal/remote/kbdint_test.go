package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// kbdintServer is an sshd that takes a password only through keyboard-interactive (as
// PasswordAuthentication no with PAM), then, with otp set, a one-time code in a second
// exchange. It serves one login per connection and says how it went.
func kbdintServer(t *testing.T, otp string) (Target, *[]string) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, _ := ssh.NewSignerFromKey(priv)
	var asked []string
	cfg := &ssh.ServerConfig{KeyboardInteractiveCallback: func(c ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
		a, err := ask("", "", []string{"Password: "}, []bool{false})
		if err != nil || len(a) != 1 || a[0] != "s3cret" {
			asked = append(asked, "wrong password")
			return nil, ssh.ErrNoAuth
		}
		asked = append(asked, "password")
		if otp != "" {
			a, err := ask("", "", []string{"Verification code: "}, []bool{false})
			if err != nil || len(a) != 1 || a[0] != otp {
				return nil, ssh.ErrNoAuth
			}
			asked = append(asked, "code")
		}
		return nil, nil
	}}
	cfg.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				if sc, chans, reqs, err := ssh.NewServerConn(c, cfg); err == nil {
					go ssh.DiscardRequests(reqs)
					go func() {
						for ch := range chans {
							ch.Reject(ssh.Prohibited, "")
						}
					}()
					sc.Close()
				}
				c.Close()
			}()
		}
	}()
	port, _ := strconv.Atoi(strings.Split(l.Addr().String(), ":")[1])
	known := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(known, []byte(KnownHostsLine("[127.0.0.1]:"+strconv.Itoa(port), hostKey.PublicKey())+"\n"), 0o600)
	return Target{Host: "127.0.0.1", Port: port, User: "learner", KnownHostsFile: known}, &asked
}

// A server that takes passwords only through keyboard-interactive: the password typed once
// answers its question, a one-time code is asked as the server wrote it, and off a terminal
// the refusal says which question needed a person.
func TestKeyboardInteractiveLogin(t *testing.T) {
	tg, asked := kbdintServer(t, "")
	tg.Auth = &Auth{AskPassword: func(string) (string, error) { return "s3cret", nil }}
	c, err := Dial(context.Background(), tg)
	if err != nil {
		t.Fatalf("password through keyboard-interactive: %v", err)
	}
	c.Close()
	if strings.Join(*asked, ",") != "password" {
		t.Errorf("server saw %v", *asked)
	}

	tg, asked = kbdintServer(t, "123456")
	var prompts []string
	tg.Auth = &Auth{AskPassword: func(string) (string, error) { return "s3cret", nil },
		AskPrompt: func(_, q string, echo bool) (string, error) { prompts = append(prompts, q); return "123456", nil }}
	c, err = Dial(context.Background(), tg)
	if err != nil {
		t.Fatalf("password and code: %v", err)
	}
	c.Close()
	if strings.Join(*asked, ",") != "password,code" || len(prompts) != 1 || prompts[0] != "Verification code:" {
		t.Errorf("server saw %v, user was asked %q", *asked, prompts)
	}

	tg, _ = kbdintServer(t, "")
	tg.Auth = &Auth{}
	_, err = Dial(context.Background(), tg)
	if err == nil || !strings.Contains(err.Error(), `asks "Password:" (keyboard-interactive), which only a person can answer`) {
		t.Errorf("off a terminal: %v", err)
	}
}
