package route

import "iter"

// fixedParams is how many path parameters a Params holds without allocating.
const fixedParams = 8

// Param is one path parameter: its name as declared in the resource path
// ("id" for {id}, "proxy" for {proxy+}) and its decoded value.
type Param struct {
	Name, Value string
}

// Params receives the path parameters of a match, in path order. The zero
// value is ready to use. It is meant to be reused (for example through a
// sync.Pool) so that Match does not allocate: the first 8 parameters live in
// a fixed array, further ones in a slice whose capacity survives Reset.
// A Params is not safe for concurrent use.
type Params struct {
	n     int
	fixed [fixedParams]Param
	more  []Param
}

// Reset empties p, keeping its storage. Match calls it before matching.
func (p *Params) Reset() {
	if p == nil {
		return
	}
	clear(p.fixed[:min(p.n, fixedParams)])
	clear(p.more)
	p.more = p.more[:0]
	p.n = 0
}

// Len returns the number of parameters.
func (p *Params) Len() int {
	if p == nil {
		return 0
	}
	return p.n
}

// At returns the i-th parameter in path order; it panics if i is out of
// range, like a slice index.
func (p *Params) At(i int) Param {
	if i < 0 || i >= p.Len() {
		panic("route: Params index out of range")
	}
	if i < fixedParams {
		return p.fixed[i]
	}
	return p.more[i-fixedParams]
}

// Get returns the value of the first parameter called name.
func (p *Params) Get(name string) (string, bool) {
	for i := range p.Len() {
		if q := p.At(i); q.Name == name {
			return q.Value, true
		}
	}
	return "", false
}

// All yields name and value of every parameter in path order.
func (p *Params) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := range p.Len() {
			q := p.At(i)
			if !yield(q.Name, q.Value) {
				return
			}
		}
	}
}

// add appends a parameter; a nil p ignores it.
func (p *Params) add(name, value string) {
	if p == nil {
		return
	}
	if p.n < fixedParams {
		p.fixed[p.n] = Param{Name: name, Value: value}
	} else {
		p.more = append(p.more, Param{Name: name, Value: value})
	}
	p.n++
}

// truncate drops the parameters after the first n (used when backtracking).
func (p *Params) truncate(n int) {
	if p == nil || n >= p.n {
		return
	}
	if n < fixedParams {
		clear(p.fixed[n:min(p.n, fixedParams)])
		clear(p.more)
		p.more = p.more[:0]
	} else {
		clear(p.more[n-fixedParams:])
		p.more = p.more[:n-fixedParams]
	}
	p.n = n
}
