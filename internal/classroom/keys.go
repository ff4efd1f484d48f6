package classroom

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/swarmwiz/swarmwiz/templates"
)

// Who may do what. A learner's name belongs to the client that first sent it: the server
// answers that first event with a key (LearnerKeyHeader), the client keeps it and sends it
// with every later event, and an event for that name without it is refused: one learner
// cannot overwrite another's card. The room keeps only each key's hash. The page, its live
// stream and the room as JSON are the instructor's: the address serve prints carries the
// instructor's key, which the first visit turns into a cookie; without it they answer 401,
// unless the room is public (a projector on a trusted network).

// LearnerKeyHeader carries a learner's key, both ways.
const LearnerKeyHeader = "X-Swarmwiz-Learner-Key"

// RefusedHeader says why an event was refused, as a word a client can act on ("name": the
// name is another learner's).
const RefusedHeader = "X-Swarmwiz-Refused"

// instructorCookie holds the instructor's key in the instructor's browser.
const instructorCookie = "swarmwiz_instructor"

// NewKey is a random key: 128 bits, hex.
func NewKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// sameKey compares in constant time.
func sameKey(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// PageURL is the address the instructor opens: base with the instructor's key, when there is
// one.
func PageURL(base, key string) string {
	if key == "" {
		return base + "/"
	}
	return base + "/?key=" + url.QueryEscape(key)
}

// instructor says whether r is the instructor's: the room is public, or r carries the key,
// as the cookie or (the printed address) as ?key=. A key in the address is set as the
// cookie and, for the page, taken out of the address bar, which a projector shows.
func (s *Server) instructor(w http.ResponseWriter, r *http.Request) (ok, redirected bool) {
	if s.InstructorKey == "" {
		return true, false
	}
	if c, err := r.Cookie(instructorCookie); err == nil && sameKey(c.Value, s.InstructorKey) {
		return true, false
	}
	q := r.URL.Query().Get("key")
	if q == "" || !sameKey(q, s.InstructorKey) {
		return false, false
	}
	http.SetCookie(w, &http.Cookie{Name: instructorCookie, Value: s.InstructorKey, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return true, true
	}
	return true, false
}

// instructorOnly wraps the instructor's handlers: 401 without the key, a wrong key counted
// as a guess from that address (slowed, then refused, as wrong join codes are).
func (s *Server) instructorOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		addr := remoteAddr(r)
		if s.guessing(addr, time.Now()) {
			s.reject(w, "guessing", http.StatusTooManyRequests, s.say(r, "classroom.refused.guessing", nil))
			return
		}
		ok, redirected := s.instructor(w, r)
		switch {
		case redirected:
			return
		case !ok:
			if r.URL.Query().Has("key") || hasCookie(r, instructorCookie) {
				if s.wrongCode(addr, time.Now()) {
					time.Sleep(WrongCodeDelay)
				}
			}
			s.reject(w, "instructor", http.StatusUnauthorized, s.say(r, "classroom.refused.instructor", nil))
			return
		}
		h(w, r)
	}
}

func hasCookie(r *http.Request, name string) bool {
	_, err := r.Cookie(name)
	return err == nil
}

// learnerKey checks the key of an event for name, the caller holding mu: a name seen before
// needs its key; a new name (or one the instructor freed) gets one, returned to be sent back.
func (s *Server) learnerKey(name, key string) (fresh string, ok bool) {
	if h, taken := s.room.Keys[name]; taken {
		return "", sameKey(keyHash(key), h)
	}
	fresh = NewKey()
	s.room.Keys[name] = keyHash(fresh)
	return fresh, true
}

// free is the instructor freeing a learner's name (a learner who lost their key): the next
// event for it takes the name again.
func (s *Server) free(w http.ResponseWriter, r *http.Request) {
	name := r.FormValue("learner")
	s.mu.Lock()
	delete(s.room.Keys, name)
	s.changed()
	s.notify()
	s.mu.Unlock()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// remoteAddr is the address r came from, without its port.
func remoteAddr(r *http.Request) string {
	addr, _, _ := net.SplitHostPort(r.RemoteAddr)
	return addr
}

// say is a sentence of the catalog in r's language, for an answer a person may read.
func (s *Server) say(r *http.Request, key string, data any) string {
	m, err := templates.MsgIn(s.lang(r), key, data)
	if err != nil {
		return templates.Msg(key, data)
	}
	return m
}

// handled is the instructor marking a learner's hand handled.
func (s *Server) handled(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.room.Handled(r.FormValue("learner"))
	s.changed()
	s.notify()
	s.mu.Unlock()
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
