package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/motcua/motcua/dossier"
)

// maxBody is the largest request body accepted. Dossiers carry document
// hashes, not documents, so this is generous.
const maxBody = 1 << 20

// maxText bounds every string of every request body (in characters, after
// normalisation), so a body cannot smuggle megabytes into a single column
// or a workflow history. Fields with a tighter natural bound (codes, enums,
// identity numbers) are checked tighter where they are validated.
const maxText = 2000

// readBody reads the whole request body, refusing more than maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, dossier.Errorf(dossier.ETooLarge, "the body is larger than %d bytes", maxBody)
	case err != nil:
		return nil, dossier.Errorf(dossier.EInvalid, "the body could not be read: %v", err)
	}
	return raw, nil
}

// decode reads a JSON request body into v, rejecting unknown fields,
// trailing data and bodies over maxBody with errors that say what to fix,
// then normalises every string in v (see normalize).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := readBody(w, r)
	if err != nil {
		return err
	}
	return decodeJSON(raw, v)
}

// decodeJSON is decode's work on a body already read (the callbacks read
// it first to check its signature).
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return dossier.Errorf(dossier.EInvalid, "the body must hold a single JSON object")
		}
		return normalize(v)
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return dossier.Errorf(dossier.EInvalid, "the body is empty; send a JSON object")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return dossier.Errorf(dossier.EInvalid, "the body is not valid JSON: %v", err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return dossier.Errorf(dossier.EInvalid, "the body must be a JSON object")
		}
		return &dossier.Error{Code: dossier.EInvalid,
			Message: fmt.Sprintf("field %s must be a %s", field, jsonType(typeErr.Type.Kind().String())),
			Fields:  []dossier.FieldError{{Field: field, Reason: "must be a " + jsonType(typeErr.Type.Kind().String())}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &dossier.Error{Code: dossier.EInvalid, Message: fmt.Sprintf("unknown field %q", name),
			Fields: []dossier.FieldError{{Field: name, Reason: "is not a field of this request"}}}
	}
	return dossier.Errorf(dossier.EInvalid, "the body could not be read: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "whole number"
	case "float32", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "struct", "map", "ptr":
		return "object"
	}
	return kind
}

// normalize rewrites every string in the decoded request v to Unicode NFC
// and refuses any longer than maxText characters, naming the field by its
// JSON path. Vietnamese can be typed precomposed ("ễ", one code point) or
// with combining marks ("e" + U+0302 + U+0303): the same name must be
// stored, compared and searched as one form, whatever keyboard typed it.
// Doing it here, once, covers every endpoint's body before validation.
func normalize(v any) error {
	var inv dossier.Invalid
	normalizeValue(reflect.ValueOf(v), "", &inv)
	return inv.Err()
}

func normalizeValue(v reflect.Value, path string, inv *dossier.Invalid) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normalizeValue(v.Elem(), path, inv)
		}
	case reflect.String:
		s := nfc(v.String())
		if v.CanSet() {
			v.SetString(s)
		}
		if n := utf8.RuneCountInString(s); n > maxText {
			inv.Add(fieldPath(path), fmt.Sprintf("must be at most %d characters (got %d)", maxText, n))
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if f.Anonymous && f.Tag.Get("json") == "" {
				normalizeValue(v.Field(i), path, inv)
				continue
			}
			normalizeValue(v.Field(i), join(path, name), inv)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			normalizeValue(v.Index(i), fmt.Sprintf("%s[%d]", path, i), inv)
		}
	case reflect.Map:
		// Map values are not addressable: normalise into a copy of each.
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			normalizeValue(e, join(path, fmt.Sprint(k.Interface())), inv)
			v.SetMapIndex(k, e)
		}
	}
}

// nfc returns s in Unicode normalisation form C (precomposed), the form
// every string is stored and compared in.
func nfc(s string) string { return norm.NFC.String(s) }

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func fieldPath(p string) string {
	if p == "" {
		return "body"
	}
	return p
}
