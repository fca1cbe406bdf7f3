package store

import "sync"

// Feed fans committed changes out to subscribers. Store implementations
// embed it; it never blocks a writer: a subscriber whose buffer is full
// loses the change and is sent KindResync as soon as there is room.
type Feed struct {
	mu        sync.Mutex
	subs      map[*subscriber]struct{}
	listeners []func([]Change)
}

// Listen registers fn to be called synchronously, in commit order, with
// every batch of committed changes before the writer's Update returns. It
// is how a node's own data plane applies a change before the management
// call that made it answers. fn must be quick and must not call Update.
func (f *Feed) Listen(fn func([]Change)) {
	f.mu.Lock()
	f.listeners = append(f.listeners, fn)
	f.mu.Unlock()
}

type subscriber struct {
	ch     chan []Change
	behind bool
}

// feedBuffer is each subscriber's channel capacity, in commits.
const feedBuffer = 1024

// Subscribe implements Store.Subscribe.
func (f *Feed) Subscribe() (<-chan []Change, func()) {
	s := &subscriber{ch: make(chan []Change, feedBuffer)}
	f.mu.Lock()
	if f.subs == nil {
		f.subs = make(map[*subscriber]struct{})
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, s)
			f.mu.Unlock()
			close(s.ch)
		})
	}
}

// Publish delivers one commit's changes, in order, to every listener and,
// as one batch (which receivers must not modify), to every subscriber.
func (f *Feed) Publish(changes []Change) {
	if len(changes) == 0 {
		return
	}
	f.mu.Lock()
	listeners := f.listeners
	f.mu.Unlock()
	for _, fn := range listeners {
		fn(changes)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rev := changes[len(changes)-1].Revision
	for s := range f.subs {
		if s.behind {
			select {
			case s.ch <- []Change{{Revision: rev, Kind: KindResync}}:
				s.behind = false
			default:
			}
			continue
		}
		select {
		case s.ch <- changes:
		default:
			s.behind = true
		}
	}
}
