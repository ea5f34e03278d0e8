package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Setup: organizations, apps, the user pool of each app and its SFU participants. Everything here is
// drawn from one setup stream, so it does not depend on the order conferences are generated in.

type org struct {
	id      uuid
	name    string
	created time.Time
}

type user struct {
	id      uuid
	pid     string
	name    string
	sfu     bool
	created bool // its participant row has been written
	// stable per-user attributes
	platform int // index into platforms, -1 = {}
	geo      int // index into cities, -1 = {}, -2 = 0/0
	noDevs   bool
	mobile   bool
	metaKind int
	platJSON []byte
	geoJSON  []byte
	devJSON  []byte
	metaJSON []byte
}

type app struct {
	idx      int
	id       uuid
	org      *org
	name     string
	apiKey   string
	domain   string
	created  time.Time
	weight   float64
	topoW    [3]float64
	versions []string
	users    []*user
	sfu      [4]*user // livekit outbound, livekit inbound, jitsi jvb, jitsi p2p
}

const (
	sfuLKOut = iota
	sfuLKIn
	sfuJVB
	sfuJP2P
)

var sfuIDs = [4]string{"livekit-sfu-server-outbound", "livekit-sfu-server-inbound", "jitsi-sfu-server-jvb", "jitsi-sfu-server-p2p"}
var sfuNames = [4]string{"LiveKit SFU (publisher)", "LiveKit SFU (subscriber)", "Jitsi Videobridge", "Jitsi (P2P)"}

var orgNames = []string{"Acme Corp", "Globex", "Initech", "Umbrella Health", "Hooli", "Stark Learning"}
var appNames = []string{"Acme Meet", "Globex Classroom", "Acme Support", "Initech Town Hall", "Umbrella Telehealth", "Hooli Chat", "Stark Tutor"}

type platform struct {
	browser, bver, engine, ever, os, osver, vendor, model, dtype, ua string
	w                                                                float64
	mobile                                                           bool
}

var platforms = []platform{
	{"Chrome", "130.0.6723.91", "Blink", "130.0.6723.91", "Windows", "10", "", "", "", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", 30, false},
	{"Chrome", "130.0.6723.91", "Blink", "130.0.6723.91", "Mac OS", "10.15.7", "Apple", "Macintosh", "", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", 15, false},
	{"Chrome", "129.0.6668.100", "Blink", "129.0.6668.100", "Android", "14", "Samsung", "SM-S918B", "mobile", "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36", 10, true},
	{"Chrome", "130.0.6723.91", "Blink", "130.0.6723.91", "Linux", "x86_64", "", "", "", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", 5, false},
	{"Safari", "18.1", "WebKit", "605.1.15", "Mac OS", "10.15.7", "Apple", "Macintosh", "", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", 8, false},
	{"Safari", "18.1", "WebKit", "605.1.15", "iOS", "18.1", "Apple", "iPhone", "mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 10, true},
	{"Firefox", "132.0", "Gecko", "132.0", "Windows", "10", "", "", "", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", 6, false},
	{"Firefox", "131.0", "Gecko", "131.0", "Linux", "x86_64", "", "", "", "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0", 4, false},
	{"Firefox", "132.0", "Gecko", "132.0", "Mac OS", "10.15", "Apple", "Macintosh", "", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0", 2, false},
	{"Edge", "130.0.2849.68", "Blink", "130.0.6723.91", "Windows", "10", "", "", "", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68", 8, false},
}

type city struct {
	cc, region, name string
	lat, lon         float64
	w                float64
}

var cities = []city{
	{"US", "CA", "San Francisco", 37.7749, -122.4194, 8}, {"US", "NY", "New York", 40.7128, -74.006, 10},
	{"US", "TX", "Austin", 30.2672, -97.7431, 4}, {"US", "IL", "Chicago", 41.8781, -87.6298, 4},
	{"GB", "ENG", "London", 51.5074, -0.1278, 8}, {"DE", "BE", "Berlin", 52.52, 13.405, 6},
	{"DE", "BY", "Munich", 48.1351, 11.582, 3}, {"FR", "IDF", "Paris", 48.8566, 2.3522, 6},
	{"ES", "MD", "Madrid", 40.4168, -3.7038, 4}, {"NL", "NH", "Amsterdam", 52.3676, 4.9041, 3},
	{"IN", "KA", "Bengaluru", 12.9716, 77.5946, 6}, {"IN", "MH", "Mumbai", 19.076, 72.8777, 4},
	{"BR", "SP", "São Paulo", -23.5505, -46.6333, 5}, {"AR", "C", "Buenos Aires", -34.6037, -58.3816, 2},
	{"JP", "13", "Tokyo", 35.6762, 139.6503, 4}, {"AU", "NSW", "Sydney", -33.8688, 151.2093, 3},
	{"CA", "ON", "Toronto", 43.6532, -79.3832, 4}, {"NG", "LA", "Lagos", 6.5244, 3.3792, 2},
	{"RO", "B", "Bucharest", 44.4268, 26.1025, 2}, {"SG", "", "Singapore", 1.3521, 103.8198, 2},
}

var firstNames = []string{"Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca", "Maya", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Yara", "Zoe"}
var lastNames = []string{"Silva", "Smith", "Müller", "Rossi", "Kim", "Garcia", "Ivanova", "Okafor", "Tanaka", "Dubois", "Novak", "Popescu", "Nguyen", "Jensen", "Cohen"}

func weightedIndex(r *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	v := r.Float64() * sum
	for i, x := range w {
		if v < x {
			return i
		}
		v -= x
	}
	return len(w) - 1
}

func (g *gen) setup() {
	r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0x5e7a9))
	first := g.start
	for i := 0; i < g.cfg.Organizations; i++ {
		name := orgNames[i%len(orgNames)]
		if i >= len(orgNames) {
			name = fmt.Sprintf("%s %d", name, i/len(orgNames)+1)
		}
		g.orgs = append(g.orgs, &org{id: newUUID(r), name: name, created: first.Add(-time.Duration(400+37*i) * 24 * time.Hour).Add(time.Duration(r.IntN(86400)) * time.Second)})
	}
	totalConfs := float64(g.cfg.Days * g.cfg.ConferencesPerDay)
	var wsum float64
	for i := 0; i < g.cfg.Apps; i++ {
		o := g.orgs[i%len(g.orgs)]
		a := &app{idx: i, id: newUUID(r), org: o}
		a.name = appNames[i%len(appNames)]
		if i >= len(appNames) {
			a.name = fmt.Sprintf("%s %d", a.name, i/len(appNames)+1)
		}
		var key [16]byte
		for k := range key {
			key[k] = byte(r.Uint32())
		}
		a.apiKey = fmt.Sprintf("%x", key)
		if i%4 != 3 {
			a.domain = fmt.Sprintf("app%d.%s.example", i, []string{"acme", "globex", "initech"}[i%3])
		}
		a.created = o.created.Add(time.Duration(20+15*i) * 24 * time.Hour)
		switch {
		case g.cfg.Apps > 1 && i == g.cfg.Apps-1:
			a.weight = 0.03 // the quiet app
		default:
			a.weight = 1 / float64(i+1)
		}
		// topology mix: P2P, LiveKit, Jitsi
		switch i % 3 {
		case 0:
			a.topoW = [3]float64{0.35, 0.5, 0.15}
		case 1:
			a.topoW = [3]float64{0.4, 0.1, 0.5}
		default:
			a.topoW = [3]float64{0.8, 0.1, 0.1}
		}
		maj := 2 + i
		a.versions = []string{fmt.Sprintf("%d.3.0", maj), fmt.Sprintf("%d.3.1", maj), fmt.Sprintf("%d.4.0", maj), fmt.Sprintf("%d.4.2", maj)}
		wsum += a.weight
		g.apps = append(g.apps, a)
	}
	pw := make([]float64, len(platforms))
	for i, p := range platforms {
		pw[i] = p.w
	}
	cw := make([]float64, len(cities))
	for i, c := range cities {
		cw[i] = c.w
	}
	for _, a := range g.apps {
		// about 3.3 sessions per conference, a user joins ~6 conferences over the period
		n := int(math.Ceil(totalConfs * a.weight / wsum * 3.3 / 6))
		n = max(n, 40)
		for k := 0; k < n; k++ {
			u := &user{id: newUUID(r), pid: fmt.Sprintf("user-%d-%05d", a.idx, k)}
			u.name = firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
			u.platform = weightedIndex(r, pw)
			if r.Float64() < 0.004 {
				u.platform = -1
			}
			u.mobile = u.platform >= 0 && platforms[u.platform].mobile
			u.geo = weightedIndex(r, cw)
			switch x := r.Float64(); {
			case x < 0.03:
				u.geo = -1
			case x < 0.04:
				u.geo = -2
			}
			u.noDevs = r.Float64() < 0.04
			u.metaKind = r.IntN(4)
			a.users = append(a.users, u)
		}
		for k := range a.sfu {
			a.sfu[k] = &user{id: newUUID(r), pid: sfuIDs[k], name: sfuNames[k], sfu: true}
		}
	}
}

// dayTimes draws the start times of one day's conferences: a diurnal curve over UTC hours that peaks in
// the European afternoon / American morning, sorted.
func dayTimes(r *rand.Rand, dayStart time.Time, n int) []time.Time {
	var hw [24]float64
	for h := range hw {
		d := float64(h) - 14.5
		hw[h] = 0.12 + math.Exp(-d*d/(2*3.2*3.2))
	}
	out := make([]time.Time, n)
	for i := range out {
		h := weightedIndex(r, hw[:])
		out[i] = dayStart.Add(time.Duration(h)*time.Hour + time.Duration(r.Int64N(int64(time.Hour/time.Millisecond)))*time.Millisecond)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
