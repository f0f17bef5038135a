package api_test

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/testenv"
)

// uniqueName is an applicant name no other test uses, with diacritics.
func uniqueName() string {
	return "Hoàng Thị Xuân " + strings.ToUpper(testenv.RandomSuffix())
}

func TestInboxListsFiltersAndPages(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	name := uniqueName()
	var codes []string
	for range 3 {
		body := submission("TP-LLTP-01", "online", "postal")
		body["applicant"].(map[string]any)["full_name"] = name
		codes = append(codes, s.must(201, "POST", "/v1/dossiers", body)["code"].(string))
	}
	// Online submissions get their intake deadline just after they are
	// filed, and the inbox sorts by it: page once every row has it, or a
	// row can move between the pages.
	for _, code := range codes {
		s.eventually(code, "its intake deadline", func(d map[string]any) bool { return d["current_step"] != nil })
	}
	// The name without diacritics, in any case, finds them.
	q := url.QueryEscape(strings.ToLower(strings.NewReplacer("Hoàng Thị Xuân", "hoang thi xuan").Replace(name)))
	page := s.must(200, "GET", "/v1/dossiers?q="+q+"&limit=2", nil)
	items := page["items"].([]any)
	require.Len(t, items, 2)
	require.NotNil(t, page["next_cursor"])
	var got []string
	for _, it := range items {
		got = append(got, it.(map[string]any)["code"].(string))
	}
	next := s.must(200, "GET", "/v1/dossiers?q="+q+"&limit=2&cursor="+url.QueryEscape(page["next_cursor"].(string)), nil)
	require.Nil(t, next["next_cursor"])
	require.Len(t, next["items"], 1)
	got = append(got, next["items"].([]any)[0].(map[string]any)["code"].(string))
	require.ElementsMatch(t, codes, got)

	// Filters combine; the item is the same Dossier the API renders elsewhere.
	one := s.must(200, "GET", "/v1/dossiers?q="+url.QueryEscape(codes[0])+"&channel=online&procedure=TP-LLTP-01", nil)
	require.Len(t, one["items"], 1)
	d := s.must(200, "GET", "/v1/dossiers/"+codes[0], nil)
	item := one["items"].([]any)[0].(map[string]any)
	require.Equal(t, d["code"], item["code"])
	require.Equal(t, d["procedure_code"], item["procedure_code"])
	require.Equal(t, d["submitted_at"], item["submitted_at"])
	require.NotContains(t, item, "lookup_key")
	none := s.must(200, "GET", "/v1/dossiers?q="+q+"&channel=counter", nil)
	require.Empty(t, none["items"])
	require.Nil(t, none["next_cursor"])
	s.must(200, "GET", "/v1/dossiers?status=submitted&stage=intake&overdue=false&due_before=2030-01-01T00:00:00%2B07:00&agency=000.00.17.H39&department=000.00.17.H39&limit=200", nil)
	s.must(200, "GET", "/v1/dossiers", nil)

	// Invalid input names the parameter.
	for query, field := range map[string]string{
		"status=nope":                      "status",
		"stage=nope":                       "stage",
		"channel=fax":                      "channel",
		"overdue=yes":                      "overdue",
		"due_before=tomorrow":              "due_before",
		"limit=0":                          "limit",
		"limit=201":                        "limit",
		"limit=x":                          "limit",
		"cursor=not-a-cursor":              "cursor",
		"cursor=" + "eyJjIjoiIn0":          "cursor",
		"sort=code":                        "sort",
		"status=received&status=submitted": "status",
	} {
		p := s.must(400, "GET", "/v1/dossiers?"+query, nil)
		require.Equal(t, field, p["errors"].([]any)[0].(map[string]any)["field"], query)
	}
}

func TestEventsCSV(t *testing.T) {
	t.Parallel()
	s := newSystem(t)
	code := s.must(201, "POST", "/v1/dossiers", submission("TP-LLTP-01", "online", "postal"))["code"].(string)
	res := s.call("GET", "/v1/dossiers/"+code+"/events.csv", nil)
	require.Equal(t, 200, res.status, string(res.body))
	require.Equal(t, "text/csv; charset=utf-8", res.header.Get("Content-Type"))
	require.Contains(t, res.header.Get("Content-Disposition"), code+"-events.csv")
	rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"seq", "at", "action", "actor", "from_stage", "to_stage", "from_status", "to_status",
		"step", "department", "note", "on_time"}, rows[0])
	require.GreaterOrEqual(t, len(rows), 2)
	first := rows[1]
	require.Equal(t, "1", first[0])
	at, err := time.Parse(time.RFC3339, first[1])
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(first[1], "+07:00"), first[1])
	require.WithinDuration(t, testenv.Now(), at, time.Minute)
	require.Equal(t, "submitted", first[2])
	require.Equal(t, "channel online", first[10])
	require.Equal(t, "", first[11])

	// The same events as the JSON control sheet.
	ev := s.must(200, "GET", "/v1/dossiers/"+code+"/events", nil)["items"].([]any)
	require.GreaterOrEqual(t, len(ev), 1)
	require.Equal(t, ev[0].(map[string]any)["at"], first[1])

	// A cell a spreadsheet would run as a formula is defused.
	s.must(200, "POST", "/v1/dossiers/"+code+"/intake", map[string]any{"decision": "refuse", "note": "=HYPERLINK(\"x\")"})
	s.eventually(code, "refused", func(d map[string]any) bool { return d["status"] == "refused" })
	var last []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := s.call("GET", "/v1/dossiers/"+code+"/events.csv", nil)
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		require.NoError(t, err)
		if last = rows[len(rows)-1]; last[2] != "submitted" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, `'=HYPERLINK("x")`, last[10])

	p := s.must(404, "GET", "/v1/dossiers/000.00.17.H39-200101-9999/events.csv", nil)
	require.Equal(t, float64(404), p["status"])
}
