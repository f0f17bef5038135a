package dashboard

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The PromQL this package understands is the subset the dashboard and the
// documented alerts use: a selector (with a range, ignored: the range is
// the whole run), rate/increase of it, sum/max/min [by (labels)], the
// quantile of classic histogram buckets, and the ratio of two vectors.
// Anything else is an error, so a panel written differently is reported,
// not silently skipped.

// node is a parsed expression.
type node interface{}

type numberNode struct{ v float64 }

type selectorNode struct {
	name     string
	matchers []matcher
	ranged   bool
}

type callNode struct {
	fn   string // rate, increase, histogram_quantile
	args []node
}

type aggNode struct {
	op  string // sum, max, min
	by  []string
	arg node
}

type divNode struct{ l, r node }

type matcher struct {
	label, op, value string
	re               *regexp.Regexp
}

func (m matcher) matches(v string) bool {
	switch m.op {
	case "=":
		return v == m.value
	case "!=":
		return v != m.value
	case "=~":
		return m.re.MatchString(v)
	default: // !~
		return !m.re.MatchString(v)
	}
}

// jobVar is a Grafana variable naming a scrape job: $api_job, ${worker_job}.
var jobVar = regexp.MustCompile(`\$\{?(\w+?)_job\}?`)

type parser struct {
	s   string
	pos int
}

// parseExpr parses expr. A $NAME_job variable in a label value becomes
// NAME: the job label of the samples of the source named NAME.
func parseExpr(expr string) (node, error) {
	p := &parser{s: expr}
	n, err := p.expr()
	if err != nil {
		return nil, fmt.Errorf("%q: %w", expr, err)
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("%q: unexpected %q", expr, p.s[p.pos:])
	}
	return n, nil
}

func (p *parser) space() {
	for p.pos < len(p.s) && unicode.IsSpace(rune(p.s[p.pos])) {
		p.pos++
	}
}

func (p *parser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.pos:], tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *parser) want(tok string) error {
	if !p.eat(tok) {
		return fmt.Errorf("want %q at %q", tok, p.s[p.pos:])
	}
	return nil
}

func (p *parser) ident() string {
	p.space()
	start := p.pos
	for p.pos < len(p.s) {
		c := rune(p.s[p.pos])
		if c == '_' || c == ':' || unicode.IsLetter(c) || (p.pos > start && unicode.IsDigit(c)) {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *parser) expr() (node, error) {
	l, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.eat("/") {
		r, err := p.term()
		if err != nil {
			return nil, err
		}
		l = divNode{l, r}
	}
	return l, nil
}

func (p *parser) labels() ([]string, error) {
	if err := p.want("("); err != nil {
		return nil, err
	}
	var out []string
	for !p.eat(")") {
		id := p.ident()
		if id == "" {
			return nil, fmt.Errorf("want a label at %q", p.s[p.pos:])
		}
		out = append(out, id)
		p.eat(",")
	}
	return out, nil
}

func (p *parser) term() (node, error) {
	p.space()
	if p.pos < len(p.s) && (unicode.IsDigit(rune(p.s[p.pos])) || p.s[p.pos] == '.') {
		start := p.pos
		for p.pos < len(p.s) && strings.ContainsRune("0123456789.eE+-", rune(p.s[p.pos])) {
			p.pos++
		}
		v, err := strconv.ParseFloat(p.s[start:p.pos], 64)
		if err != nil {
			return nil, err
		}
		return numberNode{v}, nil
	}
	if p.eat("(") {
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		return n, p.want(")")
	}
	name := p.ident()
	switch name {
	case "sum", "max", "min":
		a := aggNode{op: name}
		var err error
		if p.eat("by") {
			if a.by, err = p.labels(); err != nil {
				return nil, err
			}
		}
		if err := p.want("("); err != nil {
			return nil, err
		}
		if a.arg, err = p.expr(); err != nil {
			return nil, err
		}
		if err := p.want(")"); err != nil {
			return nil, err
		}
		if p.eat("by") {
			if a.by, err = p.labels(); err != nil {
				return nil, err
			}
		}
		if a.by == nil {
			a.by = []string{}
		}
		return a, nil
	case "rate", "increase", "histogram_quantile":
		c := callNode{fn: name}
		if err := p.want("("); err != nil {
			return nil, err
		}
		for {
			arg, err := p.expr()
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, arg)
			if !p.eat(",") {
				break
			}
		}
		if err := p.want(")"); err != nil {
			return nil, err
		}
		return c, p.checkCall(c)
	}
	return p.selector(name)
}

func (p *parser) checkCall(c callNode) error {
	switch c.fn {
	case "histogram_quantile":
		if len(c.args) != 2 {
			return fmt.Errorf("histogram_quantile takes 2 arguments")
		}
		if _, ok := c.args[0].(numberNode); !ok {
			return fmt.Errorf("histogram_quantile: the quantile must be a number")
		}
	default:
		if len(c.args) != 1 {
			return fmt.Errorf("%s takes 1 argument", c.fn)
		}
		if s, ok := c.args[0].(selectorNode); !ok || !s.ranged {
			return fmt.Errorf("%s takes a range selector", c.fn)
		}
	}
	return nil
}

var matcherRE = regexp.MustCompile(`^\s*(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?`)

func (p *parser) selector(name string) (node, error) {
	s := selectorNode{name: name}
	if p.eat("{") {
		for !p.eat("}") {
			m := matcherRE.FindStringSubmatch(p.s[p.pos:])
			if m == nil {
				return nil, fmt.Errorf("want a label matcher at %q", p.s[p.pos:])
			}
			p.pos += len(m[0])
			value, err := strconv.Unquote(`"` + m[3] + `"`)
			if err != nil {
				return nil, err
			}
			value = jobVar.ReplaceAllString(value, "$1")
			if strings.Contains(value, "$") {
				return nil, fmt.Errorf("unknown variable in %q", value)
			}
			mt := matcher{label: m[1], op: m[2], value: value}
			if mt.op == "=~" || mt.op == "!~" {
				if mt.re, err = regexp.Compile("^(?:" + value + ")$"); err != nil {
					return nil, err
				}
			}
			s.matchers = append(s.matchers, mt)
		}
	}
	if s.name == "" && len(s.matchers) == 0 {
		return nil, fmt.Errorf("want an expression at %q", p.s[p.pos:])
	}
	if p.eat("[") {
		end := strings.IndexByte(p.s[p.pos:], ']')
		if end < 0 {
			return nil, fmt.Errorf("unterminated range")
		}
		p.pos += end + 1
		s.ranged = true
	}
	return s, nil
}

// sample is one series' value. Observations is the count of a histogram
// quantile's group (0 elsewhere).
type sample struct {
	labels       map[string]string
	value        float64
	observations float64
}

// eval evaluates n over the samples of the run (counters already their
// increase over it).
func eval(n node, all []series) ([]sample, error) {
	switch n := n.(type) {
	case selectorNode:
		var out []sample
		for _, s := range all {
			if n.name != "" && s.name != n.name {
				continue
			}
			ok := true
			for _, m := range n.matchers {
				if !m.matches(s.labels[m.label]) {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, sample{labels: s.labels, value: s.value})
			}
		}
		return out, nil
	case callNode:
		if n.fn == "histogram_quantile" {
			v, err := eval(n.args[1], all)
			if err != nil {
				return nil, err
			}
			return quantiles(n.args[0].(numberNode).v, v), nil
		}
		sel := n.args[0].(selectorNode)
		for _, s := range all {
			if s.name == sel.name && !s.counter {
				return nil, fmt.Errorf("%s of %s, which is not a counter", n.fn, sel.name)
			}
		}
		// Over the whole run, rate and increase are the counter's
		// increase: the reader divides by the run's length if it wants a
		// rate.
		v, err := eval(sel, all)
		if err != nil {
			return nil, err
		}
		for i := range v {
			v[i].labels = without(v[i].labels, "__name__")
		}
		return v, nil
	case aggNode:
		v, err := eval(n.arg, all)
		if err != nil {
			return nil, err
		}
		groups := map[string]*sample{}
		var order []string
		for _, s := range v {
			key, labels := groupKey(s.labels, n.by)
			g, ok := groups[key]
			if !ok {
				g = &sample{labels: labels, value: s.value}
				groups[key] = g
				order = append(order, key)
				continue
			}
			switch n.op {
			case "sum":
				g.value += s.value
			case "max":
				g.value = math.Max(g.value, s.value)
			case "min":
				g.value = math.Min(g.value, s.value)
			}
		}
		out := make([]sample, 0, len(order))
		for _, k := range order {
			out = append(out, *groups[k])
		}
		return out, nil
	case divNode:
		l, err := eval(n.l, all)
		if err != nil {
			return nil, err
		}
		r, err := eval(n.r, all)
		if err != nil {
			return nil, err
		}
		// One-to-one matching on identical label sets, as PromQL's.
		byKey := map[string]float64{}
		for _, s := range r {
			k, _ := groupKey(s.labels, sortedKeys(s.labels))
			byKey[k] = s.value
		}
		var out []sample
		for _, s := range l {
			k, _ := groupKey(s.labels, sortedKeys(s.labels))
			if d, ok := byKey[k]; ok {
				out = append(out, sample{labels: s.labels, value: s.value / d})
			}
		}
		return out, nil
	case numberNode:
		return []sample{{labels: map[string]string{}, value: n.v}}, nil
	}
	return nil, fmt.Errorf("cannot evaluate %T", n)
}

// quantiles is histogram_quantile(q, v): the buckets of v grouped by their
// labels other than le.
func quantiles(q float64, v []sample) []sample {
	type group struct {
		labels  map[string]string
		buckets []Bucket
	}
	groups := map[string]*group{}
	var order []string
	for _, s := range v {
		le, ok := s.labels["le"]
		if !ok {
			continue // as Prometheus: samples without le are ignored
		}
		bound, err := strconv.ParseFloat(le, 64)
		if err != nil {
			continue
		}
		labels := without(s.labels, "le", "__name__")
		key, _ := groupKey(labels, sortedKeys(labels))
		g, ok := groups[key]
		if !ok {
			g = &group{labels: labels}
			groups[key] = g
			order = append(order, key)
		}
		g.buckets = append(g.buckets, Bucket{UpperBound: bound, Count: s.value})
	}
	out := make([]sample, 0, len(order))
	for _, k := range order {
		g := groups[k]
		var observations float64
		for _, b := range g.buckets {
			if math.IsInf(b.UpperBound, +1) {
				observations += b.Count
			}
		}
		out = append(out, sample{labels: g.labels, value: Quantile(q, g.buckets), observations: observations})
	}
	return out
}

func without(labels map[string]string, drop ...string) map[string]string {
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		out[k] = v
	}
	for _, d := range drop {
		delete(out, d)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// groupKey is the identity of labels restricted to by, and those labels.
func groupKey(labels map[string]string, by []string) (string, map[string]string) {
	kept := map[string]string{}
	var b strings.Builder
	for _, l := range by {
		if v, ok := labels[l]; ok {
			kept[l] = v
			fmt.Fprintf(&b, "%s=%q,", l, v)
		}
	}
	return b.String(), kept
}
