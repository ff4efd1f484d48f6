package classroom

import "time"

// View is the room as the page shows it at one moment.
type View struct {
	Learners   []LearnerView
	Finished   int
	Stuck      int
	Working    int
	Hands      int      // asking for help now
	StuckNames []string // who is stuck, by name: the first thing an instructor looks for
	StuckAfter string
}

// LearnerView is one learner's card.
type LearnerView struct {
	*Learner
	State  State
	For    string // how long on this step, or since the run ended
	Health Health
	Slow   bool   // stuck only for being on one step too long
	Hand   string // how long they have been asking for help ("": not asking)
	Done   int    // the steps of this run done so far, for the progress bar
	Of     int    // the steps a run of this command that ended well took in this room (0: none yet)
}

// NewView is the room at now, a learner on one step longer than after being stuck.
func NewView(r *Room, now time.Time, after time.Duration) View {
	v := View{StuckAfter: after.String()}
	// A command's length is what its runs that ended well took in this room: the steps a
	// wizard skips depend on the nodes, so no fixed count is true for everyone.
	of := map[string]int{}
	for _, l := range r.Learners {
		if l.Ended && l.OK {
			of[l.Command] = max(of[l.Command], l.Step)
		}
	}
	for _, l := range r.Sorted() {
		lv := LearnerView{Learner: l, State: l.State(now, after), Health: l.Health()}
		since := l.Since
		if l.Ended {
			since = l.EndedAt
		}
		lv.For = now.Sub(since).Round(time.Second).String()
		lv.Slow = lv.State == Stuck && !l.Ended
		lv.Done = max(l.Step-1, 0)
		if l.Ended && l.OK {
			lv.Done = l.Step
		}
		lv.Of = max(of[l.Command], lv.Done)
		if l.Hand != nil {
			lv.Hand = now.Sub(l.Hand.Since).Round(time.Second).String()
			v.Hands++
		}
		switch lv.State {
		case Finished:
			v.Finished++
		case Stuck:
			v.Stuck++
			v.StuckNames = append(v.StuckNames, l.Name)
		default:
			v.Working++
		}
		v.Learners = append(v.Learners, lv)
	}
	return v
}
