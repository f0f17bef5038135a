package calendar_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
)

func TestTetDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year int
		want calendar.Date
	}{
		{2024, date(2024, 2, 10)},
		{2025, date(2025, 1, 29)},
		{2026, date(2026, 2, 17)},
		{2027, date(2027, 2, 6)},
		// At UTC+8 the new moon of 2030-02-02 23:07 (UTC+7) is on the 3rd:
		// a Chinese-calendar library gets this one wrong.
		{2030, date(2030, 2, 2)},
		// Month 11 of 1984 starts a day apart at UTC+7 and UTC+8, which
		// shifts the leap month: Vietnam's Tết is a month before China's
		// (1985-02-20).
		{1985, date(1985, 1, 21)},
		// The North adopted UTC+7 in 1967; its Tết Mậu Thân came a day
		// before the South's, still on UTC+8.
		{1968, date(1968, 1, 29)},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, calendar.TetDate(tt.year), "Tết %d", tt.year)
		require.Equal(t, calendar.LunarDate{Year: tt.year, Month: 1, Day: 1}, calendar.SolarToLunar(tt.want))
	}
}

func TestHungKingsDay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year int
		want calendar.Date
	}{
		{2024, date(2024, 4, 18)},
		{2025, date(2025, 4, 7)},
		{2026, date(2026, 4, 26)},
		{2027, date(2027, 4, 16)},
		{2023, date(2023, 4, 29)}, // after a leap second month
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, calendar.HungKingsDay(tt.year), "Hùng Kings' day %d", tt.year)
	}
}

// tet1900to2100 lists Tết from 1900 to 2100, as the published Vietnamese
// calendar tables (Hồ Ngọc Đức's) give them.
const tet1900to2100 = `
	1900-01-31 1901-02-19 1902-02-08 1903-01-28 1904-02-16 1905-02-04 1906-01-25 1907-02-13
	1908-02-02 1909-01-22 1910-02-10 1911-01-30 1912-02-18 1913-02-06 1914-01-26 1915-02-14
	1916-02-03 1917-01-23 1918-02-11 1919-02-01 1920-02-20 1921-02-08 1922-01-28 1923-02-16
	1924-02-05 1925-01-24 1926-02-13 1927-02-02 1928-01-23 1929-02-10 1930-01-30 1931-02-17
	1932-02-06 1933-01-26 1934-02-14 1935-02-03 1936-01-24 1937-02-11 1938-01-31 1939-02-19
	1940-02-08 1941-01-27 1942-02-15 1943-02-05 1944-01-25 1945-02-13 1946-02-02 1947-01-22
	1948-02-10 1949-01-29 1950-02-17 1951-02-06 1952-01-27 1953-02-14 1954-02-03 1955-01-24
	1956-02-12 1957-01-31 1958-02-18 1959-02-08 1960-01-28 1961-02-15 1962-02-05 1963-01-25
	1964-02-13 1965-02-01 1966-01-21 1967-02-09 1968-01-29 1969-02-16 1970-02-06 1971-01-27
	1972-02-15 1973-02-03 1974-01-23 1975-02-11 1976-01-31 1977-02-18 1978-02-07 1979-01-28
	1980-02-16 1981-02-05 1982-01-25 1983-02-13 1984-02-02 1985-01-21 1986-02-09 1987-01-29
	1988-02-17 1989-02-06 1990-01-27 1991-02-15 1992-02-04 1993-01-23 1994-02-10 1995-01-31
	1996-02-19 1997-02-07 1998-01-28 1999-02-16 2000-02-05 2001-01-24 2002-02-12 2003-02-01
	2004-01-22 2005-02-09 2006-01-29 2007-02-17 2008-02-07 2009-01-26 2010-02-14 2011-02-03
	2012-01-23 2013-02-10 2014-01-31 2015-02-19 2016-02-08 2017-01-28 2018-02-16 2019-02-05
	2020-01-25 2021-02-12 2022-02-01 2023-01-22 2024-02-10 2025-01-29 2026-02-17 2027-02-06
	2028-01-26 2029-02-13 2030-02-02 2031-01-23 2032-02-11 2033-01-31 2034-02-19 2035-02-08
	2036-01-28 2037-02-15 2038-02-04 2039-01-24 2040-02-12 2041-02-01 2042-01-22 2043-02-10
	2044-01-30 2045-02-17 2046-02-06 2047-01-26 2048-02-14 2049-02-02 2050-01-23 2051-02-11
	2052-02-01 2053-02-18 2054-02-08 2055-01-28 2056-02-15 2057-02-04 2058-01-24 2059-02-12
	2060-02-02 2061-01-21 2062-02-09 2063-01-29 2064-02-17 2065-02-05 2066-01-26 2067-02-14
	2068-02-03 2069-01-23 2070-02-11 2071-01-31 2072-02-19 2073-02-07 2074-01-27 2075-02-15
	2076-02-05 2077-01-24 2078-02-12 2079-02-02 2080-01-22 2081-02-09 2082-01-29 2083-02-17
	2084-02-06 2085-01-26 2086-02-14 2087-02-03 2088-01-24 2089-02-10 2090-01-30 2091-02-18
	2092-02-07 2093-01-27 2094-02-15 2095-02-05 2096-01-25 2097-02-12 2098-02-01 2099-01-21
	2100-02-09 
`

func TestTetDates1900To2100(t *testing.T) {
	t.Parallel()
	fields := strings.Fields(tet1900to2100)
	require.Len(t, fields, 201)
	for i, f := range fields {
		want, err := calendar.ParseDate(f)
		require.NoError(t, err)
		require.Equal(t, 1900+i, want.Year)
		require.Equal(t, want, calendar.TetDate(want.Year), "Tết %d", want.Year)
		// Tết is the second new moon after the winter solstice (the third
		// if a leap month comes between), always 21 January to 20 February.
		require.True(t, want.Compare(date(want.Year, 1, 21)) >= 0 && want.Compare(date(want.Year, 2, 20)) <= 0, "Tết %s", want)
	}
}

func TestLeapMonths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year, month int
		start       calendar.Date
	}{
		{2020, 4, date(2020, 5, 23)},
		{2023, 2, date(2023, 3, 22)},
		{2025, 6, date(2025, 7, 25)},
		{2028, 5, date(2028, 6, 23)},
		{2033, 11, date(2033, 12, 22)}, // the leap month 11 that Chinese tables long got wrong
	}
	for _, tt := range tests {
		leap := calendar.LunarDate{Year: tt.year, Month: tt.month, Day: 1, Leap: true}
		got, err := calendar.LunarToSolar(leap)
		require.NoError(t, err, leap.String())
		require.Equal(t, tt.start, got, leap.String())
		require.Equal(t, leap, calendar.SolarToLunar(tt.start))
		// The ordinary month of that number comes just before.
		require.Equal(t, calendar.LunarDate{Year: tt.year, Month: tt.month, Day: calendar.SolarToLunar(tt.start.AddDays(-1)).Day},
			calendar.SolarToLunar(tt.start.AddDays(-1)))
	}
}

func TestSolarToLunar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    calendar.Date
		want calendar.LunarDate
	}{
		{date(2026, 2, 16), calendar.LunarDate{Year: 2025, Month: 12, Day: 29}}, // a 29-day twelfth month: no "30 Tết"
		{date(2024, 2, 9), calendar.LunarDate{Year: 2023, Month: 12, Day: 30}},
		{date(2025, 8, 15), calendar.LunarDate{Year: 2025, Month: 6, Day: 22, Leap: true}},
		{date(2026, 9, 25), calendar.LunarDate{Year: 2026, Month: 8, Day: 15}}, // mid-autumn
		{date(2026, 12, 31), calendar.LunarDate{Year: 2026, Month: 11, Day: 23}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, calendar.SolarToLunar(tt.d), tt.d.String())
	}
	require.Equal(t, "15/6 nhuận/2025", calendar.LunarDate{Year: 2025, Month: 6, Day: 15, Leap: true}.String())
	require.Equal(t, "10/3/2026", calendar.LunarDate{Year: 2026, Month: 3, Day: 10}.String())
}

func TestLunarToSolarErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		l    calendar.LunarDate
		want string
	}{
		{calendar.LunarDate{Year: 2025, Month: 12, Day: 30}, "that month has 29 days"},
		{calendar.LunarDate{Year: 2026, Month: 5, Day: 1, Leap: true}, "lunar year 2026 has no leap month 5"},
		{calendar.LunarDate{Year: 2025, Month: 5, Day: 1, Leap: true}, "lunar year 2025 has no leap month 5"},
		{calendar.LunarDate{Year: 2026, Month: 13, Day: 1}, "months run 1-12"},
		{calendar.LunarDate{Year: 2026, Month: 0, Day: 1}, "months run 1-12"},
		{calendar.LunarDate{Year: 2026, Month: 1, Day: 0}, "days 1-30"},
		{calendar.LunarDate{Year: 2026, Month: 1, Day: 31}, "days 1-30"},
		{calendar.LunarDate{Year: 0, Month: 1, Day: 1}, "out of range"},
		{calendar.LunarDate{Year: 9999, Month: 1, Day: 1}, "out of range"},
	} {
		_, err := calendar.LunarToSolar(tt.l)
		require.ErrorContains(t, err, tt.want, tt.l.String())
	}
}

// TestLunarCalendarEveryDay walks every day from 1900 to 2100 and checks
// that the lunar calendar is a calendar: each day converts back to itself,
// days advance one at a time, months begin on day 1 after a 29- or 30-day
// month, follow each other in order (a leap month repeating its
// predecessor, at most one a year), and years begin at Tết.
func TestLunarCalendarEveryDay(t *testing.T) {
	t.Parallel()
	prev := calendar.SolarToLunar(date(1899, 12, 31))
	leaps := map[int]int{}
	for d := date(1900, 1, 1); d.Year <= 2100; d = d.AddDays(1) {
		l := calendar.SolarToLunar(d)
		back, err := calendar.LunarToSolar(l)
		require.NoError(t, err, "%s is %s", d, l)
		require.Equal(t, d, back, "%s is %s", d, l)

		switch {
		case l.Day == prev.Day+1:
			require.Equal(t, calendar.LunarDate{Year: prev.Year, Month: prev.Month, Day: l.Day, Leap: prev.Leap}, l, "%s after %s", d, prev)
		case l.Day == 1:
			require.Contains(t, []int{29, 30}, prev.Day, "%s: month ended on day %d", d, prev.Day)
			switch {
			case l.Leap:
				require.Equal(t, calendar.LunarDate{Year: prev.Year, Month: prev.Month, Day: 1, Leap: true}, l, "%s: a leap month repeats the month before", d)
				leaps[l.Year]++
				require.Equal(t, 1, leaps[l.Year], "%s: a second leap month in %d", d, l.Year)
			case prev.Month == 12:
				require.Equal(t, calendar.LunarDate{Year: prev.Year + 1, Month: 1, Day: 1}, l, "%s after %s", d, prev)
				require.Equal(t, d, calendar.TetDate(l.Year))
			default:
				require.Equal(t, calendar.LunarDate{Year: prev.Year, Month: prev.Month + 1, Day: 1}, l, "%s after %s", d, prev)
			}
		default:
			require.Failf(t, "days do not follow", "%s is %s after %s", d, l, prev)
		}
		prev = l
	}
	// 201 years hold 74 leap months (7 in every 19 years).
	total := 0
	for _, n := range leaps {
		total += n
	}
	require.InDelta(t, 201*7/19, total, 1)
}

// TestLunarToSolarEveryMonth checks, for every month of 1900–2100, that
// its last day exists and the next day does not.
func TestLunarToSolarEveryMonth(t *testing.T) {
	t.Parallel()
	for y := 1900; y <= 2100; y++ {
		for m := 1; m <= 12; m++ {
			for _, leap := range []bool{false, true} {
				first, err := calendar.LunarToSolar(calendar.LunarDate{Year: y, Month: m, Day: 1, Leap: leap})
				if leap && err != nil {
					continue // most months have no leap twin
				}
				require.NoError(t, err)
				_, err29 := calendar.LunarToSolar(calendar.LunarDate{Year: y, Month: m, Day: 29, Leap: leap})
				require.NoError(t, err29)
				last, err := calendar.LunarToSolar(calendar.LunarDate{Year: y, Month: m, Day: 30, Leap: leap})
				if err != nil {
					last, _ = calendar.LunarToSolar(calendar.LunarDate{Year: y, Month: m, Day: 29, Leap: leap})
				}
				require.Equal(t, calendar.LunarDate{Year: y, Month: m, Day: 1, Leap: leap}, calendar.SolarToLunar(first))
				require.Equal(t, 1, calendar.SolarToLunar(last.AddDays(1)).Day, "the day after %s", last)
			}
		}
	}
}
