package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// customerAreas are the generated phone numbers' area codes.
var customerAreas = []int{415, 312, 217, 206, 617, 512}

// customerStreets are the street names of the generated customers.
var customerStreets = []string{"North Main Street", "Sunset Boulevard", "Elm Road", "Oak Avenue Southwest", "Lake Shore Drive",
	"Maple Lane", "Cedar Court", "West 3rd Street", "Pine Hill Road", "Harbor View Terrace"}

// writeCustomers writes n customer rows as a utility's CSV export, the
// input of `keypad user import`: every row has an external ID, a name,
// an email, a US phone number, a street address with a unit and a ZIP,
// and an account number, all distinct, so a million rows give five
// million identifiers. Rows come in external-ID order, as exports do;
// the identifiers they hold are in no order.
func writeCustomers(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintln(bw, "external_id,name,email,phone,address,account")
	for i := range n {
		// Phone numbers are distinct (10,000 lines of 88 exchanges, none
		// of them N11, in each of six area codes); house numbers, streets
		// and ZIPs are scattered by a hash of i, as in a real service area.
		h := (uint64(i)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) >> 16
		fmt.Fprintf(bw, "C-%08d,Customer %d,customer%d@example.com,(%d) %03d-%04d,\"%d %s Apt %d, Springfield, IL %05d\",A%09d\n",
			i, i, i, customerAreas[(i/880000)%len(customerAreas)], 222+(i/10000)%88, i%10000,
			1+h%9999, customerStreets[(h>>16)%uint64(len(customerStreets))], 1+(h>>24)%400, 62701+(h>>36)%30, i)
	}
	return bw.Flush()
}

// writeCustomersFile writes n customer rows to the CSV file path.
func writeCustomersFile(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeCustomers(f, n); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
