package protocol

import (
	"math"
	"time"
)

// SunDay is sunrise and sunset at a site on one date.
type SunDay struct {
	Rise, Set  time.Time // UTC; zero on a polar day or night
	PolarDay   bool      // the sun does not set
	PolarNight bool      // the sun does not rise
}

// SunOn computes sunrise and sunset at site on the date y-m-d (the
// display's local date) offline, by NOAA's solar position algorithm (the
// NOAA Solar Calculator's equations, after Meeus): the sun's upper limb on
// the horizon with standard refraction, a zenith of 90.833°. For sites
// whose clocks roughly follow their longitude, the times fall on that date
// locally. Accurate to about a minute below ±60° latitude, a few minutes
// nearer the poles (where the sun crosses the horizon slowly).
func SunOn(site Site, y int, m time.Month, d int) SunDay {
	midnight := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	jd0 := float64(midnight.Unix())/86400 + 2440587.5
	// Whether the sun rises at all: its height at local solar noon and midnight.
	noon := 720 - 4*site.Longitude
	if arg := haArg(site.Latitude, jd0+noon/1440); arg < -1 {
		return SunDay{PolarDay: true}
	} else if arg > 1 {
		return SunDay{PolarNight: true}
	}
	event := func(rise bool) time.Time {
		t := noon
		for range 3 { // the sun's position at the event's own time
			jd := jd0 + t/1440
			c := (jd - 2451545) / 36525
			ha := math.Acos(math.Max(-1, math.Min(1, haArg(site.Latitude, jd))))
			if !rise {
				ha = -ha
			}
			t = 720 - 4*(site.Longitude+ha*180/math.Pi) - equationOfTime(c)
		}
		return midnight.Add(time.Duration(t * float64(time.Minute))).Truncate(time.Second)
	}
	return SunDay{Rise: event(true), Set: event(false)}
}

// haArg is the cosine of the sunrise hour angle at Julian day jd: beyond
// ±1 the sun does not cross the horizon (above 1: it stays below).
func haArg(lat, jd float64) float64 {
	c := (jd - 2451545) / 36525
	dec := sunDeclination(c) * math.Pi / 180
	φ := lat * math.Pi / 180
	return math.Cos(90.833*math.Pi/180)/(math.Cos(φ)*math.Cos(dec)) - math.Tan(φ)*math.Tan(dec)
}

// NOAA's formulas, c in Julian centuries since J2000.0; degrees.
func sunMeanLong(c float64) float64 {
	return math.Mod(280.46646+c*(36000.76983+c*0.0003032), 360)
}
func sunMeanAnomaly(c float64) float64 { return 357.52911 + c*(35999.05029-0.0001537*c) }
func earthEccentricity(c float64) float64 {
	return 0.016708634 - c*(0.000042037+0.0000001267*c)
}
func obliquity(c float64) float64 {
	sec := 21.448 - c*(46.8150+c*(0.00059-c*0.001813))
	e0 := 23 + (26+sec/60)/60
	return e0 + 0.00256*math.Cos((125.04-1934.136*c)*math.Pi/180)
}
func sunDeclination(c float64) float64 {
	m := sunMeanAnomaly(c) * math.Pi / 180
	center := math.Sin(m)*(1.914602-c*(0.004817+0.000014*c)) + math.Sin(2*m)*(0.019993-0.000101*c) + math.Sin(3*m)*0.000289
	λ := sunMeanLong(c) + center - 0.00569 - 0.00478*math.Sin((125.04-1934.136*c)*math.Pi/180)
	return math.Asin(math.Sin(obliquity(c)*math.Pi/180)*math.Sin(λ*math.Pi/180)) * 180 / math.Pi
}

// equationOfTime is apparent minus mean solar time, in minutes.
func equationOfTime(c float64) float64 {
	ε := obliquity(c) * math.Pi / 180
	l0 := sunMeanLong(c) * math.Pi / 180
	e := earthEccentricity(c)
	m := sunMeanAnomaly(c) * math.Pi / 180
	y := math.Tan(ε/2) * math.Tan(ε/2)
	et := y*math.Sin(2*l0) - 2*e*math.Sin(m) + 4*e*y*math.Sin(m)*math.Cos(2*l0) -
		0.5*y*y*math.Sin(4*l0) - 1.25*e*e*math.Sin(2*m)
	return et * 180 / math.Pi * 4
}
