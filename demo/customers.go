package demo

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/keypadauth/keypad/identifier"
)

// Customer is one of the demo utility's customers, as written on their
// bill: what a person would type at the kiosk.
type Customer struct {
	// Subject is keypad's ID for the person (the "sub" of their tokens).
	Subject string
	Name    string
	// Account is the account number; it is also the energy API's
	// customer key, so it seeds the person's usage data.
	Account string
	// Address is the service address, with town and ZIP.
	Address string
	// Phone and Email are how keypad reaches the person; either may be
	// empty, never both.
	Phone, Email string
	// Username is set for the one customer who also has a password for
	// keypad's hosted sign-in page.
	Username string
	// Language is the BCP 47 tag of the language the person prefers for
	// texts and emails; empty for the server's default_language.
	Language string
}

// The people the walk-through names. Everyone else is drawn from the seed.
var (
	// Heather is the story's kiosk visitor (DESIGN.md, story 1): her
	// phone ends in 4821 and her email masks to h•••@e•••.com. She also
	// has the demo's username and password, to sign in a TV.
	Heather = Customer{
		Name: "Heather Homeowner", Account: "100200300",
		Address: "123 Main Street, Greenvale, OR 97401",
		// The story's hint needs a number ending in 4821, outside the
		// 555-0100..0199 block reserved for fiction; the demo sends texts
		// to its outbox only, so no phone ever rings.
		Phone: "(541) 555-4821", Email: "heather@example.com",
		Username: "heather",
	}
	// Sharers are two accounts at one address (a house split into two
	// flats, each with its own meter), so a lookup by that address is
	// ambiguous and the kiosk asks for the account number. Dana, Heather's
	// neighbour, prefers Spanish: her code arrives in Spanish.
	Sharers = [2]Customer{
		{Name: "Dana Rivera", Account: "100200311", Address: SharedAddress + ", Greenvale, OR 97402",
			Phone: "(541) 555-0111", Email: "dana.rivera@example.org", Language: "es"},
		{Name: "Sam Okafor", Account: "100200322", Address: SharedAddress + ", Greenvale, OR 97402",
			Phone: "(541) 555-0122", Email: "sam.okafor@example.net"},
	}
)

// SharedAddress is the street line both Sharers live at, as a person
// would type it.
const SharedAddress = "88 Elm Street"

// HeatherPassword is the demo user's password for the hosted sign-in
// page; the demo prints it.
const HeatherPassword = "green-valley"

// Word lists the synthetic customers are drawn from.
var (
	firstNames = strings.Fields(`Ada Alex Amara Ben Carla Chen Chloe Daniel Diego Elena Emeka Farah
		Felix Grace Hana Hugo Ines Isaac Jamal Jana Jonas Julia Kai Kenji Lara Leo Lina Luca Maya
		Mei Mila Nadia Noah Nora Omar Oscar Priya Quinn Rafael Rosa Ruth Sara Sofia Tariq Theo
		Uma Vera Victor Wen Yara Yusuf Zane Zoe`)
	lastNames = strings.Fields(`Adams Alvarez Baker Becker Chen Costa Diaz Dubois Evans Fischer
		Garcia Gupta Haddad Hansen Ito Jensen Kaur Kim Kowalski Larsen Lopez Meyer Moreau Murphy
		Nakamura Nguyen Novak Okoro Olsen Patel Perez Quinn Reyes Rossi Santos Schmidt Silva Singh
		Sousa Tanaka Torres Varga Wagner Walsh Weber Wright Yamada Young Zhang`)
	streetNames = strings.Fields(`Alder Ash Aspen Birch Cedar Cherry Chestnut Cypress Dogwood Elm
		Fir Hawthorn Hazel Hemlock Hickory Holly Juniper Laurel Linden Magnolia Maple Oak Pine
		Poplar Redwood Rowan Spruce Sycamore Walnut Willow Meadow River Lake Hill Valley Ridge
		Orchard Garden Mill Park`)
	streetTypes = []string{"Street", "Avenue", "Road", "Lane", "Drive", "Court", "Way", "Place"}
	zips        = []string{"97401", "97402", "97403", "97404", "97405"}
	// areaCodes are the Pacific Northwest's and northern California's,
	// for 555-01xx numbers: 100 each, 1,600 in all.
	areaCodes = []string{"503", "541", "458", "971", "360", "206", "253", "425",
		"509", "564", "415", "510", "650", "707", "916", "530"}
	emailHosts = []string{"example.com", "example.org", "example.net"}
)

// customers draws n customers from seed: the named ones first (Heather,
// then the Sharers), then synthetic ones with distinct street lines,
// account numbers, phone numbers and emails, so that no lookup but the
// shared address is ambiguous. The same seed always gives the same
// people.
func customers(seed int64, n int) []Customer {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6b65797061642d64)) // "keypad-d"
	out := append([]Customer{Heather}, Sharers[:]...)
	streets := map[string]bool{}
	accounts := map[string]bool{}
	emails := map[string]bool{}
	for _, c := range out {
		streets[streetKey(c.Address)] = true
		accounts[c.Account] = true
		emails[c.Email] = true
	}
	// Every 555-01xx number of every area code, shuffled: each customer
	// takes the next, so none is shared. The Sharers' numbers are taken.
	var phones []string
	for _, ac := range areaCodes {
		for i := 100; i < 200; i++ {
			p := fmt.Sprintf("(%s) 555-%04d", ac, i)
			if p != Sharers[0].Phone && p != Sharers[1].Phone {
				phones = append(phones, p)
			}
		}
	}
	r.Shuffle(len(phones), func(i, j int) { phones[i], phones[j] = phones[j], phones[i] })

	for len(out) < n {
		first, last := pick(r, firstNames), pick(r, lastNames)
		c := Customer{Name: first + " " + last}
		for {
			street := fmt.Sprintf("%d %s %s", 1+r.IntN(1999), pick(r, streetNames), pick(r, streetTypes))
			if k := streetKey(street); !streets[k] {
				streets[k] = true
				c.Address = street + ", Greenvale, OR " + pick(r, zips)
				break
			}
		}
		for {
			a := fmt.Sprintf("1%08d", r.IntN(100_000_000))
			if !accounts[a] {
				accounts[a] = true
				c.Account = a
				break
			}
		}
		// Most people give both a phone and an email; some only one.
		switch x := r.IntN(10); {
		case x < 7:
			c.Phone, c.Email = nextPhone(&phones), email(r, first, last, emails)
		case x < 9:
			c.Phone = nextPhone(&phones)
		default:
			c.Email = email(r, first, last, emails)
		}
		if c.Phone == "" && c.Email == "" { // out of numbers
			c.Email = email(r, first, last, emails)
		}
		out = append(out, c)
	}
	out = out[:n]
	for i := range out {
		out[i].Subject = subjectID(seed, out[i].Account)
	}
	return out
}

func pick(r *rand.Rand, from []string) string { return from[r.IntN(len(from))] }

// nextPhone takes a number off the shuffled list, or "" when none is
// left (more customers than 555-01xx numbers).
func nextPhone(phones *[]string) string {
	if len(*phones) == 0 {
		return ""
	}
	p := (*phones)[0]
	*phones = (*phones)[1:]
	return p
}

// email makes a distinct address at one of the example domains (RFC
// 2606), which can never belong to anyone.
func email(r *rand.Rand, first, last string, taken map[string]bool) string {
	base := strings.ToLower(first + "." + last)
	for i := 0; ; i++ {
		e := base
		if i > 0 {
			e = fmt.Sprintf("%s%d", base, i+1)
		}
		e += "@" + pick(r, emailHosts)
		if !taken[e] {
			taken[e] = true
			return e
		}
	}
}

// streetKey is the normalised street line of an address, which a kiosk
// lookup without the ZIP matches.
func streetKey(address string) string {
	p, err := identifier.ParseAddress(address)
	if err != nil {
		return strings.ToUpper(address)
	}
	return p.Street
}

// subjectID derives a customer's keypad ID from the seed and the account
// number: stable across runs of the demo, opaque to clients.
func subjectID(seed int64, account string) string {
	h := sha256.New()
	h.Write([]byte("keypad/demo/subject/v1\x00"))
	binary.Write(h, binary.BigEndian, seed)
	h.Write([]byte(account))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:16]))
}
