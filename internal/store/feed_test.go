package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFeedListenersRunBeforeSubscribersInOrder(t *testing.T) {
	var f Feed
	var got [][]Change
	f.Listen(func(c []Change) { got = append(got, c) })
	ch, cancel := f.Subscribe()
	defer cancel()
	b1 := []Change{{Revision: 1, Kind: KindAPI, Op: OpPut, ID: "a"}}
	b2 := []Change{{Revision: 2, Kind: KindAPIKey, Op: OpDelete, ID: "k"}, {Revision: 2, Kind: KindUsagePlanKey, Op: OpDelete, ID: "p", KeyID: "k"}}
	f.Publish(b1)
	f.Publish(nil)
	f.Publish(b2)
	if diff := cmp.Diff([][]Change{b1, b2}, got); diff != "" {
		t.Fatalf("listener batches (-want +got):\n%s", diff)
	}
	sub := [][]Change{<-ch, <-ch}
	if diff := cmp.Diff([][]Change{b1, b2}, sub); diff != "" {
		t.Fatalf("subscriber batches (-want +got):\n%s", diff)
	}
}

func TestFeedSlowSubscriberGetsResync(t *testing.T) {
	var f Feed
	ch, cancel := f.Subscribe()
	defer cancel()
	for i := range feedBuffer + 10 {
		f.Publish([]Change{{Revision: int64(i + 1), Kind: KindAPI}})
	}
	for range feedBuffer {
		<-ch
	}
	f.Publish([]Change{{Revision: 9999, Kind: KindAPI}})
	if b := <-ch; len(b) != 1 || b[0].Kind != KindResync || b[0].Revision != 9999 {
		t.Fatalf("after overflow got %+v, want a resync", b)
	}
}
