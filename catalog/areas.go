package catalog

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Area is an administrative area (đơn vị hành chính): a district, or a ward
// or commune with its district as Parent.
type Area struct {
	Code   string `json:"code" yaml:"code"`
	Name   string `json:"name" yaml:"name"`
	Parent string `json:"parent,omitempty" yaml:"parent"`
}

// Areas is the list of areas postal service can be suspended by.
type Areas struct {
	byCode map[string]Area
	order  []string
}

// ParseAreas reads an areas file (data/areas.yaml): unique codes, parents
// listed before their children.
func ParseAreas(data []byte) (*Areas, error) {
	var f struct {
		Areas []Area `yaml:"areas"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	a := &Areas{byCode: map[string]Area{}}
	for _, x := range f.Areas {
		switch {
		case x.Code == "" || x.Name == "":
			return nil, fmt.Errorf("areas: an area needs a code and a name")
		case a.byCode[x.Code].Code != "":
			return nil, fmt.Errorf("areas: %s is listed twice", x.Code)
		case x.Parent != "" && a.byCode[x.Parent].Code == "":
			return nil, fmt.Errorf("areas: %s: parent %s must be listed before it", x.Code, x.Parent)
		}
		a.byCode[x.Code] = x
		a.order = append(a.order, x.Code)
	}
	return a, nil
}

// Lookup returns the area with code.
func (a *Areas) Lookup(code string) (Area, bool) {
	x, ok := a.byCode[code]
	return x, ok
}

// Within returns code and the codes of the areas inside it (a district's
// wards and communes), in file order: what a suspension of code covers.
func (a *Areas) Within(code string) []string {
	out := []string{code}
	for _, c := range a.order {
		if a.byCode[c].Parent == code {
			out = append(out, c)
		}
	}
	return out
}

// Containing returns code and the area it lies in, if any: the areas whose
// suspension covers a dossier of code.
func (a *Areas) Containing(code string) []string {
	out := []string{code}
	if p := a.byCode[code].Parent; p != "" {
		out = append(out, p)
	}
	return out
}

// All returns every area, in file order (districts before their wards and
// communes): what a form offers to choose from.
func (a *Areas) All() []Area {
	out := make([]Area, len(a.order))
	for i, c := range a.order {
		out[i] = a.byCode[c]
	}
	return out
}
