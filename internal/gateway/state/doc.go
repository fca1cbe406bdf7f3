// Package state owns the data plane's in-memory configuration index: the
// APIs with their stages and compiled route tables, the API keys (by lookup
// hash and by id) and the usage plans. It reads the store only when loading
// or applying changes, never on a request; it must never import control,
// awsapi, server or patch (stored method keys are read with respath).
//
// # Keeping current
//
// Load builds everything from one consistent store View. Apply takes a batch
// of committed changes and reloads only what they name: one key (with its
// plan ids), one plan, or one API with all its stages. On a single node the
// state is kept current synchronously:
//
//	st.Listen(func(c []store.Change) { s.Apply(context.Background(), c) })
//
// so a change is visible before the management call that made it returns.
// Run additionally follows st.Subscribe (other nodes' changes, once the store
// is shared) and does a periodic full Load as a backstop. Applying the same
// change twice (through Listen and Subscribe) is harmless: every apply
// re-reads the current item from the store.
//
// Readers never lock. Applies are serialised with each other; a Load reads
// the store without holding them up (a million keys take seconds) and, when
// it swaps in, applies again the changes applied meanwhile, so none is
// undone. All values handed out (*API, *Stage, *Plan and what they point
// to, and the strings and sets of a Key) are immutable: a change replaces
// them, so a request may keep what it read.
//
// Keys live in 1024 shards by lookup hash (and 1024 by id), each an
// immutable open-addressing table behind an atomic pointer; a key change
// rebuilds the one or two shards it touches. A hash table's slot is one
// cache line holding the whole key (hash, id, last four, enabled, the
// number of its shared plan set), so a lookup reads one line and its
// probe run, never a second array. The tables hold no pointers, so a
// million keys are a few thousand objects for the garbage collector and
// about 120 bytes each; LookupKey copies a key out without allocating.
//
// # CORS
//
// Each stage's Stage.CORS holds, per compiled resource, what its OPTIONS
// method says about CORS (ResourceCORS: a MOCK integration response
// setting a static Access-Control-Allow-Origin), worked out once per
// deployment; API.CORS is the live gatehouse:corsAllowOrigins tag.
//
// # Custom domains
//
// Domains holds the custom domain names, rebuilt whole (there are few) on
// a domain name change: each with its base path mappings, longest base
// path first, and its certificate, whose private key is opened with the
// KeyOpener (the server secret) when the table is built, never per
// request or per TLS handshake. Domain finds one by Host or SNI name.
//
// # Deleted usage plans
//
// When a plan is deleted it disappears from Plan and Plans at once. A key
// that listed it keeps its stale plan id until the key is reloaded (the
// store also publishes a usage-plan-key delete for each of the plan's keys,
// which does that); callers must treat Plan(id) == nil as "not in that plan".
package state
