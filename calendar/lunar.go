package calendar

import (
	"fmt"
	"math"
	"sync"
)

// This file computes the Vietnamese lunisolar calendar (âm lịch) from the
// astronomy, the way Hồ Ngọc Đức's widely used algorithm does:
//
//   - A lunar month begins on the local day of a new moon.
//   - Month 11 is the month that contains the day of the winter solstice.
//   - When 13 new moons separate two months 11, the first month after
//     month 11 that contains no principal solar term (trung khí, a multiple of
//     30° of the sun's longitude) is a leap month and repeats the number of
//     the month before it.
//
// Everything hinges on which local day an instant falls on, and Vietnam
// counts days at UTC+7: a new moon at 23:30 in Hanoi is 00:30 the next day
// in Beijing, which is why a Chinese-calendar library (UTC+8) puts Tết on the
// wrong day in some years (2030, 1985). The zone is the fixed offset of
// [Location], not a setting.
//
// New moons follow Meeus, Astronomical Algorithms (2nd ed.), chapter 49, and
// the sun's apparent longitude chapter 25's low-accuracy series (about 0.01°,
// a quarter of an hour in time); instants in Terrestrial Time are turned into
// Universal Time with Espenak and Meeus's polynomials for ΔT. The results are
// checked against published dates between 1900 and 2100; far outside those
// years ΔT, and so the day of a new moon close to midnight, grows uncertain.

// LunarDate is a date of the Vietnamese lunar calendar. Year is the lunar
// year, numbered like the Gregorian year in which it begins: lunar 1/1/2026
// is Tết on 2026-02-17, and the twelfth month of lunar year 2025 runs into
// February 2026. Leap is true for the repeated (nhuận) month of a leap year.
type LunarDate struct {
	Year, Month, Day int
	Leap             bool
}

// String writes a lunar date day/month/year as Vietnamese does, with
// "nhuận" after a leap month: 10/3/2026, 15/6 nhuận/2025.
func (l LunarDate) String() string {
	if l.Leap {
		return fmt.Sprintf("%d/%d nhuận/%d", l.Day, l.Month, l.Year)
	}
	return fmt.Sprintf("%d/%d/%d", l.Day, l.Month, l.Year)
}

const (
	// vnZoneDays is UTC+7 as a fraction of a day.
	vnZoneDays = 7.0 / 24
	// synodicMonth is the mean length of a lunation, in days.
	synodicMonth = 29.530588861
	// newMoonEpoch is the Julian day (TT) of the mean new moon k = 0, on
	// 6 January 2000; Meeus numbers lunations from it.
	newMoonEpoch = 2451550.09766
	// unixEpochJDN is the Julian day number of 1970-01-01.
	unixEpochJDN = 2440588
	// j2000 is the Julian day of 2000-01-01 12:00 TT, the epoch of the series.
	j2000 = 2451545.0
)

// SolarToLunar returns the Vietnamese lunar date of d.
func SolarToLunar(d Date) LunarDate {
	n := dayNumber(d)
	// The months from the month 11 before d up to the next one.
	s := lunarSpanOf(d.Year + 1)
	if n < s.starts[0] {
		s = lunarSpanOf(d.Year)
	}
	i := len(s.starts) - 2
	for s.starts[i] > n {
		i--
	}
	l := s.label(i)
	l.Day = n - s.starts[i] + 1
	return l
}

// LunarToSolar returns the Gregorian date of the lunar date l. It returns an
// error if l does not exist: a month outside 1–12, a day outside the month
// (the 30th of a 29-day month), a leap month in a year whose leap month has
// another number or that has none, or a year outside 1–9998.
func LunarToSolar(l LunarDate) (Date, error) {
	if l.Year < 1 || l.Year > 9998 {
		return Date{}, fmt.Errorf("calendar: lunar year %d is out of range 1-9998", l.Year)
	}
	if l.Month < 1 || l.Month > 12 || l.Day < 1 || l.Day > 30 {
		return Date{}, fmt.Errorf("calendar: lunar date %s does not exist: months run 1-12 and days 1-30", l)
	}
	// Months 1 to 10 of lunar year y lie in span y, which ends at its month
	// 11; months 11 and 12 (and a leap 11 or 12) open span y+1.
	span := l.Year
	if l.Month >= 11 {
		span++
	}
	s := lunarSpanOf(span)
	for i := range len(s.starts) - 1 {
		got := s.label(i)
		if got.Year != l.Year || got.Month != l.Month || got.Leap != l.Leap {
			continue
		}
		if length := s.starts[i+1] - s.starts[i]; l.Day > length {
			return Date{}, fmt.Errorf("calendar: lunar date %s does not exist: that month has %d days", l, length)
		}
		return dateOfDayNumber(s.starts[i] + l.Day - 1), nil
	}
	if l.Leap {
		return Date{}, fmt.Errorf("calendar: lunar date %s does not exist: lunar year %d has no leap month %d", l, l.Year, l.Month)
	}
	// Every year has months 1 to 12; reaching this is a bug, not bad input.
	return Date{}, fmt.Errorf("calendar: lunar month %d of %d not found", l.Month, l.Year)
}

// TetDate returns Tết Nguyên Đán, lunar 1/1, of the lunar year that begins
// in the Gregorian year, always between 21 January and 20 February.
func TetDate(year int) Date {
	return mustLunarToSolar(LunarDate{Year: year, Month: 1, Day: 1})
}

// HungKingsDay returns the Hùng Kings' commemoration (Giỗ Tổ Hùng Vương),
// lunar 10/3 of the lunar year that begins in the Gregorian year; in a year
// with a leap third month it is the 10th of the first, ordinary one.
func HungKingsDay(year int) Date {
	return mustLunarToSolar(LunarDate{Year: year, Month: 3, Day: 10})
}

// mustLunarToSolar serves dates that exist in every lunar year; it panics
// only for a year outside LunarToSolar's range.
func mustLunarToSolar(l LunarDate) Date {
	d, err := LunarToSolar(l)
	if err != nil {
		panic(err)
	}
	return d
}

// lunarSpan is the run of lunar months from the month 11 that contains the
// winter solstice of Gregorian year y-1 to the one of year y: 12 months, or
// 13 with a leap month. It holds months 11 and 12 of lunar year y-1 and
// months 1 to 10 of lunar year y.
type lunarSpan struct {
	year   int   // y
	starts []int // day numbers of each month's first day, plus the next month 11's
	leap   int   // index in starts of the leap month, or -1
}

// spans caches lunarSpanOf by year. A span never changes and is only read
// once built, so sharing one between goroutines is safe; converting every day
// of a year then costs a few map look-ups instead of a hundred new moons.
var spans sync.Map // int → lunarSpan

func lunarSpanOf(y int) lunarSpan {
	if s, ok := spans.Load(y); ok {
		return s.(lunarSpan)
	}
	s := computeLunarSpan(y)
	spans.Store(y, s)
	return s
}

func computeLunarSpan(y int) lunarSpan {
	k0, k1 := month11(y-1), month11(y)
	s := lunarSpan{year: y, starts: make([]int, k1-k0+1), leap: -1}
	for i := range s.starts {
		s.starts[i] = newMoonDay(k0 + i)
	}
	if k1-k0 == 13 {
		// The 12 months after the first month 11 hold only the 11 principal
		// terms strictly between the two solstices, so one has none; the
		// first such is the leap month. A month has a term when the sun's
		// 30° sector changes between its first day and the next month's.
		for i := 1; i < 13; i++ {
			if principalTerm(s.starts[i]) == principalTerm(s.starts[i+1]) {
				s.leap = i
				break
			}
		}
	}
	return s
}

// label names the i-th month of the span (its day is left 0).
func (s lunarSpan) label(i int) LunarDate {
	n := i // months since month 11, a leap month repeating its predecessor
	if s.leap >= 0 && i >= s.leap {
		n--
	}
	l := LunarDate{Year: s.year, Month: (10+n)%12 + 1, Leap: i == s.leap}
	if l.Month >= 11 {
		// Months 11 and 12 come first in the span and belong to the lunar
		// year before; later in the span the months only reach 10.
		l.Year--
	}
	return l
}

// month11 returns the lunation number k of the new moon that begins month
// 11 of Gregorian year y: the last new moon on or before the local date of
// the winter solstice.
func month11(y int) int {
	last := dayNumber(Date{Year: y, Month: 12, Day: 31})
	k := int(math.Floor((float64(last) - newMoonEpoch) / synodicMonth))
	for newMoonDay(k+1) <= last {
		k++
	}
	for newMoonDay(k) > last {
		k--
	}
	// The sun reaches 270° on the solstice; if it is there before the day
	// of December's last new moon starts, the solstice belongs to the
	// month before.
	if principalTerm(newMoonDay(k)) >= 9 {
		k--
	}
	return k
}

// newMoonDay returns the day number of the local (UTC+7) date of new moon k.
func newMoonDay(k int) int {
	jde := newMoonJDE(k)
	local := jde - deltaT(jde)/86400 + vnZoneDays
	return int(math.Floor(local + 0.5))
}

// principalTerm returns the sun's 30° sector (0 for 0°–30°, up to 11) at the
// local midnight that begins day number n.
func principalTerm(n int) int {
	ut := float64(n) - 0.5 - vnZoneDays
	return int(sunLongitude(ut+deltaT(ut)/86400)/30) % 12
}

// newMoonJDE returns the instant of true new moon k, as a Julian Ephemeris
// Day (TT), from the mean lunation and Meeus's periodic terms (ch. 49).
func newMoonJDE(k int) float64 {
	kf := float64(k)
	t := kf / 1236.85
	t2, t3, t4 := t*t, t*t*t, t*t*t*t
	jde := newMoonEpoch + synodicMonth*kf + 0.00015437*t2 - 0.000000150*t3 + 0.00000000073*t4

	e := 1 - 0.002516*t - 0.0000074*t2                                               // eccentricity of Earth's orbit
	m := 2.5534 + 29.10535670*kf - 0.0000014*t2 - 0.00000011*t3                      // sun's mean anomaly
	mp := 201.5643 + 385.81693528*kf + 0.0107582*t2 + 0.00001238*t3 - 0.000000058*t4 // moon's mean anomaly
	f := 160.7108 + 390.67050284*kf - 0.0016118*t2 - 0.00000227*t3 + 0.000000011*t4  // moon's argument of latitude
	om := 124.7746 - 1.56375588*kf + 0.0020672*t2 + 0.00000215*t3                    // longitude of the ascending node
	jde += -0.40720*sinDeg(mp) +
		0.17241*e*sinDeg(m) +
		0.01608*sinDeg(2*mp) +
		0.01039*sinDeg(2*f) +
		0.00739*e*sinDeg(mp-m) -
		0.00514*e*sinDeg(mp+m) +
		0.00208*e*e*sinDeg(2*m) -
		0.00111*sinDeg(mp-2*f) -
		0.00057*sinDeg(mp+2*f) +
		0.00056*e*sinDeg(2*mp+m) -
		0.00042*sinDeg(3*mp) +
		0.00042*e*sinDeg(m+2*f) +
		0.00038*e*sinDeg(m-2*f) -
		0.00024*e*sinDeg(2*mp-m) -
		0.00017*sinDeg(om) -
		0.00007*sinDeg(mp+2*m) +
		0.00004*sinDeg(2*mp-2*f) +
		0.00004*sinDeg(3*m) +
		0.00003*sinDeg(mp+m-2*f) +
		0.00003*sinDeg(2*mp+2*f) -
		0.00003*sinDeg(mp+m+2*f) +
		0.00003*sinDeg(mp-m+2*f) -
		0.00002*sinDeg(mp-m-2*f) -
		0.00002*sinDeg(3*mp+m) +
		0.00002*sinDeg(4*mp)

	// The planetary arguments: amplitude, and the argument's constant, k and
	// T² coefficients.
	for _, a := range planetaryTerms {
		jde += a[0] * sinDeg(a[1]+a[2]*kf+a[3]*t2)
	}
	return jde
}

var planetaryTerms = [14][4]float64{
	{0.000325, 299.77, 0.107408, -0.009173},
	{0.000165, 251.88, 0.016321, 0},
	{0.000164, 251.83, 26.651886, 0},
	{0.000126, 349.42, 36.412478, 0},
	{0.000110, 84.66, 18.206239, 0},
	{0.000062, 141.74, 53.303771, 0},
	{0.000060, 207.14, 2.453732, 0},
	{0.000056, 154.84, 7.306860, 0},
	{0.000047, 34.52, 27.261239, 0},
	{0.000042, 207.19, 0.121824, 0},
	{0.000040, 291.34, 1.844379, 0},
	{0.000037, 161.72, 24.198154, 0},
	{0.000035, 239.56, 25.513099, 0},
	{0.000023, 331.55, 3.592518, 0},
}

// sunLongitude returns the sun's apparent geocentric longitude, in degrees
// in [0, 360), at the Julian Ephemeris Day jde (Meeus ch. 25, low accuracy:
// the equation of the centre, then nutation and aberration).
func sunLongitude(jde float64) float64 {
	t := (jde - j2000) / 36525
	l0 := 280.46646 + 36000.76983*t + 0.0003032*t*t
	m := 357.52911 + 35999.05029*t - 0.0001537*t*t
	c := (1.914602-0.004817*t-0.000014*t*t)*sinDeg(m) +
		(0.019993-0.000101*t)*sinDeg(2*m) +
		0.000289*sinDeg(3*m)
	om := 125.04 - 1934.136*t
	l := l0 + c - 0.00569 - 0.00478*sinDeg(om)
	l = math.Mod(l, 360)
	if l < 0 {
		l += 360
	}
	return l
}

// deltaT returns TT − UT in seconds near the Julian day jd, from Espenak and
// Meeus's polynomials (NASA, 2006). It is about a minute today; an error of
// a few seconds moves a new moon's day only if it falls at midnight.
func deltaT(jd float64) float64 {
	y := 2000 + (jd-j2000)/365.25
	switch {
	case y >= 1860 && y < 1900:
		t := y - 1860
		return 7.62 + 0.5737*t - 0.251754*t*t + 0.01680668*t*t*t - 0.0004473624*t*t*t*t + math.Pow(t, 5)/233174
	case y >= 1900 && y < 1920:
		t := y - 1900
		return -2.79 + 1.494119*t - 0.0598939*t*t + 0.0061966*t*t*t - 0.000197*t*t*t*t
	case y >= 1920 && y < 1941:
		t := y - 1920
		return 21.20 + 0.84493*t - 0.076100*t*t + 0.0020936*t*t*t
	case y >= 1941 && y < 1961:
		t := y - 1950
		return 29.07 + 0.407*t - t*t/233 + t*t*t/2547
	case y >= 1961 && y < 1986:
		t := y - 1975
		return 45.45 + 1.067*t - t*t/260 - t*t*t/718
	case y >= 1986 && y < 2005:
		t := y - 2000
		return 63.86 + 0.3345*t - 0.060374*t*t + 0.0017275*t*t*t + 0.000651814*t*t*t*t + 0.00002373599*math.Pow(t, 5)
	case y >= 2005 && y < 2050:
		t := y - 2000
		return 62.92 + 0.32217*t + 0.005589*t*t
	case y >= 2050 && y < 2150:
		u := (y - 1820) / 100
		return -20 + 32*u*u - 0.5628*(2150-y)
	}
	// The long-term parabola, for the centuries outside the fits.
	u := (y - 1820) / 100
	return -20 + 32*u*u
}

func sinDeg(x float64) float64 { return math.Sin(x * math.Pi / 180) }

// dayNumber returns the Julian day number of d (the Julian day at its noon),
// proleptic Gregorian.
func dayNumber(d Date) int {
	return int(d.civil().Unix()/86400) + unixEpochJDN
}

// dateOfDayNumber is the inverse of dayNumber.
func dateOfDayNumber(n int) Date {
	return Date{Year: 1970, Month: 1, Day: 1}.AddDays(n - unixEpochJDN)
}
