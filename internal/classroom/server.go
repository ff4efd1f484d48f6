package classroom

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	htmltmpl "html/template"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/swarmwiz/swarmwiz/templates"
)

// CodeHeader carries the room's join code with every event.
const CodeHeader = "X-Swarmwiz-Classroom-Code"

// MaxLearners caps the names a room takes: a new name past it is refused (429, counted).
var MaxLearners = 200

// MaxViewers caps the pages open at once on the live stream.
var MaxViewers = 100

// Per learner, events are accepted at Rate a second with bursts of Burst.
const (
	Rate  = 20
	Burst = 100
)

// Guessing the join code: after FreeWrongCodes wrong codes from one address each further one
// is answered after WrongCodeDelay, and after MaxWrongCodes the address is refused (429) for
// GuessBan. A learner who mistypes is not held up; a script that guesses is.
var (
	FreeWrongCodes = 3
	MaxWrongCodes  = 10
	WrongCodeDelay = time.Second
	GuessBan       = time.Minute
)

type guesser struct {
	wrong int
	until time.Time // refused until then
}

// wrongCode counts a wrong code from addr and says whether to slow the answer.
func (s *Server) wrongCode(addr string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guessers[addr]
	if g == nil {
		g = &guesser{}
		s.guessers[addr] = g
	}
	g.wrong++
	if g.wrong >= MaxWrongCodes {
		g.wrong, g.until = 0, now.Add(GuessBan)
	}
	return g.wrong > FreeWrongCodes
}

// guessing says whether addr is refused for now.
func (s *Server) guessing(addr string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guessers[addr]
	return g != nil && now.Before(g.until)
}

// Server is `swarmwiz classroom serve`: the room, its page, and the events that feed it.
type Server struct {
	Code       string        // the join code learners send
	StuckAfter time.Duration // the same step this long is stuck
	Lang       string        // the page's language when the browser asks for none we have
	StatePath  string        // where the room is kept across restarts; "" in memory only
	Log        func(string)  // a line for the instructor's terminal; nil: none
	Dist       *Downloads    // the binaries handed out at /get/OS-ARCH; nil: none
	BaseURL    string        // the address learners use, for the download lines
	// InstructorKey opens the page, its stream and the room as JSON; "": a public room.
	InstructorKey string

	mu       sync.Mutex
	room     *Room
	limits   map[string]*rate.Limiter
	guessers map[string]*guesser
	subs     map[chan struct{}]bool
	saveErr  error
	saved    time.Time
	dirty    bool // the room changed since it was last written
	saving   bool // a write is under way, or waits for its second
	version  int  // counts the room's changes: the page is rendered once per change
	pages    map[string]renderedPage
	renderMu sync.Mutex // one render at a time: the others take its result
	renders  int        // how many times the room was rendered (for tests)
	writes   int        // how many times the state file was written (for tests)
	writeMu  sync.Mutex // one write of the state file at a time, the newest last
}

// renderedPage is the room's HTML in one language as of one version, shared by every open
// page: a room of 60 with 20 pages open renders once per change, not 20 times.
type renderedPage struct {
	version int
	at      time.Time
	html    htmltmpl.HTML
}

// NewServer makes a server for code, with the room kept in statePath ("": in memory).
func NewServer(code, statePath string) (*Server, error) {
	s := &Server{Code: code, StatePath: statePath, StuckAfter: 10 * time.Minute, Lang: "en",
		limits: map[string]*rate.Limiter{}, guessers: map[string]*guesser{}, subs: map[chan struct{}]bool{},
		pages: map[string]renderedPage{}}
	var err error
	if statePath != "" {
		s.room, err = Load(statePath)
	} else {
		s.room = NewRoom()
	}
	return s, err
}

// NewCode is a short join code, easy to read aloud and type: six letters and digits
// without 0/O and 1/I/L.
func NewCode() string {
	const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 6)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// The server's limits on a connection: every answer in bounded time but the live stream
// (which lifts its own write deadline), so a slow or idle connection cannot hold the server.
// Variables for tests.
var (
	HeaderTimeout = 5 * time.Second  // the request's header, from the connection's first byte
	ReadTimeout   = 15 * time.Second // the whole request, body included
	WriteTimeout  = 30 * time.Second // the answer (not the live stream)
	IdleTimeout   = time.Minute      // a kept-alive connection between requests
	MaxHeader     = 16 << 10         // bytes of header
)

// HTTPServer is the server for s's Handler, with those limits.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: HeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: MaxHeader}
}

// Handler serves the page (/), the room as HTML for the page's updates (/events, server-sent
// events), the room as JSON (/api/room) and takes events (POST /api/events).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.instructorOnly(s.page))
	mux.HandleFunc("GET /events", s.instructorOnly(s.events))
	mux.HandleFunc("GET /api/room", s.instructorOnly(s.roomJSON))
	mux.HandleFunc("POST /free", s.instructorOnly(s.free))
	mux.HandleFunc("POST /handled", s.instructorOnly(s.handled))
	mux.HandleFunc("POST /api/events", s.take)
	if s.Dist != nil {
		mux.HandleFunc("GET /get/{platform}", s.Dist.serve)
	}
	return mux
}

func (s *Server) reject(w http.ResponseWriter, why string, status int, msg string) {
	s.mu.Lock()
	s.room.Rejected[why]++
	n := s.room.Rejected[why]
	s.persist() // refusals are kept too, at most once a second: a flood costs no disk nor render
	s.mu.Unlock()
	if s.Log != nil && (n <= 3 || n%100 == 0) {
		s.Log(templates.Msg("classroom.rejected", map[string]any{"Why": why, "N": n, "Msg": msg}))
	}
	http.Error(w, msg, status)
}

// take is one event from a learner's wizard.
func (s *Server) take(w http.ResponseWriter, r *http.Request) {
	addr := remoteAddr(r)
	if s.guessing(addr, time.Now()) {
		s.reject(w, "guessing", http.StatusTooManyRequests, "too many wrong join codes from this address: wait a minute")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(CodeHeader)), []byte(s.Code)) != 1 {
		if s.wrongCode(addr, time.Now()) {
			time.Sleep(WrongCodeDelay) // slowed: guessing the code costs time
		}
		s.reject(w, "code", http.StatusForbidden, "wrong join code")
		return
	}
	e, err := Decode(http.MaxBytesReader(w, r.Body, MaxEventBytes+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrTooLarge) || errors.As(err, &mbe):
		s.reject(w, "size", http.StatusRequestEntityTooLarge, fmt.Sprintf("an event is at most %d bytes", MaxEventBytes))
		return
	case err != nil:
		s.reject(w, "malformed", http.StatusBadRequest, err.Error())
		return
	}
	now := time.Now()
	name := maskSecret(e.Learner) // even in memory, no name holds a token
	s.mu.Lock()
	lim := s.limits[name]
	if lim == nil {
		lim = rate.NewLimiter(Rate, Burst)
		s.limits[name] = lim
	}
	if !lim.AllowN(now, 1) {
		s.mu.Unlock()
		s.reject(w, "rate", http.StatusTooManyRequests, "too many events")
		return
	}
	// Masked only once taken: a flood refused above costs no pass over its text. Whatever the
	// learner's client did, the room never holds a token.
	e = MaskSecrets(e)
	if s.room.Learners[e.Learner] == nil && len(s.room.Learners) >= MaxLearners {
		s.mu.Unlock()
		s.reject(w, "full", http.StatusTooManyRequests, fmt.Sprintf("the room is full (%d learners)", MaxLearners))
		return
	}
	fresh, ok := s.learnerKey(e.Learner, r.Header.Get(LearnerKeyHeader))
	if !ok {
		s.mu.Unlock()
		w.Header().Set(RefusedHeader, "name")
		s.reject(w, "name", http.StatusForbidden, s.say(r, "classroom.refused.name", e.Learner))
		return
	}
	if fresh != "" {
		w.Header().Set(LearnerKeyHeader, fresh)
	}
	s.room.Apply(e, now)
	s.changed()
	s.notify()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// notify wakes every open page; the caller holds mu.
func (s *Server) notify() {
	for c := range s.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// changed marks the room changed, the caller holding mu: the page renders anew, and the
// state file is written at most once a second, whole, off the request path (an event's
// answer never waits for the disk).
func (s *Server) changed() {
	s.version++
	s.persist()
}

// persist schedules the room's next write of the state file, the caller holding mu: at most
// one a SaveEvery, off the request path.
func (s *Server) persist() {
	if s.StatePath == "" {
		return
	}
	s.dirty = true
	if s.saving {
		return
	}
	s.saving = true
	wait := time.Until(s.saved.Add(SaveEvery))
	time.AfterFunc(max(wait, 0), s.saveLater)
}

// SaveEvery is how often at most the state file is written.
var SaveEvery = time.Second

// saveLater writes the room as it is now, then again a second later if it changed meanwhile.
func (s *Server) saveLater() {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	b, err := json.Marshal(s.room)
	s.dirty, s.saved = false, time.Now()
	s.mu.Unlock()
	if err == nil {
		err = writeRoom(s.StatePath, b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	s.told(err)
	if s.dirty {
		time.AfterFunc(SaveEvery, s.saveLater)
		return
	}
	s.saving = false
}

// told says a failure to keep the room once; the caller holds mu.
func (s *Server) told(err error) {
	if err != nil && s.saveErr == nil && s.Log != nil {
		s.Log(templates.Msg("classroom.savefailed", map[string]string{"File": s.StatePath, "Err": err.Error()}))
	}
	s.saveErr = err
}

// save keeps the room in StatePath now, if any; the caller holds mu.
func (s *Server) save() {
	if s.StatePath == "" {
		return
	}
	s.saved, s.dirty = time.Now(), false
	s.writes++
	s.told(s.room.Save(s.StatePath))
}

// Close keeps the room as it is now, for the next start.
func (s *Server) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.save()
	return s.saveErr
}

// Snapshot is a copy of the room, safe to read while events arrive.
func (s *Server) Snapshot() *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.room)
	r := NewRoom()
	json.Unmarshal(b, r)
	r.Keys = nil // the learners' keys' hashes stay in the server
	return r
}

func (s *Server) roomJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.Snapshot())
}

// sseBreak is every line terminator of server-sent events: CRLF, CR and LF alike.
var sseBreak = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// writeEvent writes one server-sent event whose data is text: each of its lines a data line
// of its own, split on every terminator SSE knows (CR, LF, CRLF), so that nothing a learner
// sent (a title holding "\revent: x") can end a line early and change the stream's framing.
func writeEvent(w io.Writer, event, text string) {
	var b strings.Builder
	b.WriteString("event: " + event + "\n")
	for _, line := range strings.Split(sseBreak.Replace(text), "\n") {
		b.WriteString("data: " + line + "\n")
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// lang is the page's language: the first of the browser's languages we have a catalog for.
func (s *Server) lang(r *http.Request) string {
	have := templates.Langs()
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		tag = strings.SplitN(tag, "-", 2)[0]
		for _, l := range have {
			if l == tag {
				return l
			}
		}
	}
	return s.Lang
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(r)
	room, err := s.roomHTML(lang)
	if err == nil {
		var page string
		var get []GetLine
		if s.Dist != nil {
			get = s.Dist.Lines(s.BaseURL, s.Code)
		}
		page, err = templates.HTML(lang, "classroom-page.html", map[string]any{"Lang": lang, "Room": room, "Get": get})
		if err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page)
			return
		}
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// roomHTML is the room as the page shows it, in lang: rendered once per change (and again
// when it is older than half a Tick, for the times on it), shared by every open page.
func (s *Server) roomHTML(lang string) (htmltmpl.HTML, error) {
	s.renderMu.Lock()
	defer s.renderMu.Unlock()
	s.mu.Lock()
	p, ok := s.pages[lang]
	v := s.version
	s.mu.Unlock()
	if ok && p.version == v && time.Since(p.at) < Tick/2 {
		return p.html, nil
	}
	html, err := s.render(lang, "classroom-room.html")
	if err == nil {
		s.mu.Lock()
		s.renders++
		s.pages[lang] = renderedPage{version: v, at: time.Now(), html: html}
		s.mu.Unlock()
	}
	return html, err
}

// render is the room as the page shows it, in lang.
func (s *Server) render(lang, name string) (htmltmpl.HTML, error) {
	v := NewView(s.Snapshot(), time.Now(), s.StuckAfter)
	out, err := templates.HTML(lang, name, v)
	return htmltmpl.HTML(out), err
}

// events streams the room, as HTML, whenever it changes and every few seconds (the times on
// the page move on): server-sent events, which the page's few lines of script put in place.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	lang := s.lang(r)
	c := make(chan struct{}, 1)
	s.mu.Lock()
	if len(s.subs) >= MaxViewers {
		s.mu.Unlock()
		http.Error(w, "too many open pages", http.StatusServiceUnavailable)
		return
	}
	s.subs[c] = true
	s.mu.Unlock()
	// The stream is the one answer without a write deadline: it lasts while the page is open.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	defer func() {
		s.mu.Lock()
		delete(s.subs, c)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	tick := time.NewTicker(Tick)
	defer tick.Stop()
	for {
		html, err := s.roomHTML(lang)
		if err != nil {
			return
		}
		writeEvent(w, "room", string(html))
		fl.Flush()
		sent := time.Now()
		select {
		case <-r.Context().Done():
			return
		case <-c:
			// A busy room changes many times a second: a page takes them together, at
			// most every StreamEvery, so a flood of events costs a few renders, not one each.
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Until(sent.Add(StreamEvery))):
			}
		case <-tick.C:
		}
	}
}

// StreamEvery is how often at most an open page is sent the room anew.
var StreamEvery = 250 * time.Millisecond

// Tick is how often the page is sent again without a change, so that "for how long" moves.
var Tick = 5 * time.Second
