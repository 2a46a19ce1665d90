package identifier

// Word tables for address normalisation, after USPS Publication 28:
// Appendix C1 (street suffixes), C2 (secondary unit designators) and
// section 233 (directionals). Every spelling maps to its canonical
// abbreviation, and every canonical abbreviation maps to itself, so that
// normalising a normalised address changes nothing.

// suffixInfo describes a street suffix. Strong suffixes (ST, AVE, DR …)
// rarely occur in city names, weak ones (PARK, LAKE, SPRINGS …) often do;
// the parser prefers a strong suffix when it has to guess where the street
// ends and the city begins. Route suffixes (HWY, RTE …) may carry a number:
// "HWY 9".
type suffixInfo struct {
	abbr   string
	strong bool
	route  bool
}

var suffixes = map[string]suffixInfo{}

func init() {
	add := func(abbr string, strong, route bool, spellings ...string) {
		info := suffixInfo{abbr: abbr, strong: strong, route: route}
		suffixes[abbr] = info
		for _, s := range spellings {
			suffixes[s] = info
		}
	}
	const strong, weak, route = true, false, true
	add("ALY", strong, false, "ALLEY", "ALLEE", "ALLY")
	add("ANX", weak, false, "ANNEX", "ANEX", "ANNX")
	add("ARC", strong, false, "ARCADE")
	add("AVE", strong, false, "AVENUE", "AV", "AVEN", "AVENU", "AVN", "AVNUE")
	add("BCH", weak, false, "BEACH")
	add("BLVD", strong, false, "BOULEVARD", "BOUL", "BOULV")
	add("BND", weak, false, "BEND")
	add("BLF", weak, false, "BLUFF")
	add("BR", weak, false, "BRANCH", "BRNCH")
	add("BRG", weak, false, "BRIDGE", "BRDGE")
	add("BRK", weak, false, "BROOK")
	add("BYP", strong, route, "BYPASS", "BYPA", "BYPAS", "BYPS")
	add("CIR", strong, false, "CIRCLE", "CIRC", "CIRCL", "CRCL", "CRCLE")
	add("CLF", weak, false, "CLIFF")
	add("CMN", weak, false, "COMMON")
	add("COR", weak, false, "CORNER")
	add("CPE", weak, false, "CAPE")
	add("CRES", strong, false, "CRESCENT", "CRSENT", "CRSNT")
	add("CRK", weak, false, "CREEK")
	add("CRSE", strong, false, "COURSE")
	add("CSWY", strong, false, "CAUSEWAY", "CAUSWA")
	add("CT", strong, false, "COURT")
	add("CTR", weak, false, "CENTER", "CENTRE", "CENT", "CENTR", "CNTER", "CNTR")
	add("CV", strong, false, "COVE")
	add("CYN", weak, false, "CANYON", "CANYN", "CNYN")
	add("DR", strong, false, "DRIVE", "DRIV", "DRV")
	add("EST", weak, false, "ESTATE")
	add("EXPY", strong, route, "EXPRESSWAY", "EXP", "EXPR", "EXPRESS", "EXPW")
	add("EXT", strong, false, "EXTENSION", "EXTN", "EXTNSN")
	add("FLS", weak, false, "FALLS")
	add("FRST", weak, false, "FOREST", "FORESTS")
	add("FRY", weak, false, "FERRY", "FRRY")
	add("FT", weak, false, "FORT", "FRT")
	add("FWY", strong, route, "FREEWAY", "FREEWY", "FRWAY", "FRWY")
	add("GDNS", weak, false, "GARDENS", "GRDNS")
	add("GLN", weak, false, "GLEN")
	add("GRN", weak, false, "GREEN")
	add("GRV", weak, false, "GROVE", "GROV")
	add("GTWY", strong, false, "GATEWAY", "GATEWY", "GATWAY", "GTWAY")
	add("HBR", weak, false, "HARBOR", "HARB", "HARBR", "HRBOR")
	add("HL", weak, false, "HILL")
	add("HLS", weak, false, "HILLS")
	add("HOLW", weak, false, "HOLLOW", "HLLW", "HOLLOWS", "HOLWS")
	add("HTS", weak, false, "HEIGHTS", "HT")
	add("HWY", strong, route, "HIGHWAY", "HIGHWY", "HIWAY", "HIWY", "HWAY")
	add("IS", weak, false, "ISLAND", "ISLND")
	add("JCT", weak, false, "JUNCTION", "JCTION", "JCTN", "JUNCTN", "JUNCTON")
	add("KNL", weak, false, "KNOLL", "KNOL")
	add("KY", weak, false, "KEY")
	add("LK", weak, false, "LAKE")
	add("LN", strong, false, "LANE")
	add("LNDG", weak, false, "LANDING", "LNDNG")
	add("LOOP", strong, false, "LOOPS")
	add("MALL", strong, false)
	add("MDWS", weak, false, "MEADOWS", "MDW", "MEDOWS")
	add("ML", weak, false, "MILL")
	add("MNR", weak, false, "MANOR")
	add("MT", weak, false, "MOUNT", "MNT")
	add("MTN", weak, false, "MOUNTAIN", "MNTAIN", "MNTN", "MOUNTIN", "MTIN")
	add("ORCH", weak, false, "ORCHARD", "ORCHRD")
	add("OVAL", strong, false, "OVL")
	add("PARK", weak, false, "PRK")
	add("PASS", strong, false)
	add("PATH", strong, false, "PATHS")
	add("PIKE", strong, route, "PIKES")
	add("PKWY", strong, route, "PARKWAY", "PARKWY", "PKWAY", "PKY")
	add("PL", strong, false, "PLACE")
	add("PLZ", strong, false, "PLAZA", "PLZA")
	add("PNES", weak, false, "PINES")
	add("PT", weak, false, "POINT")
	add("RDG", weak, false, "RIDGE", "RDGE")
	add("RD", strong, route, "ROAD")
	add("RIV", weak, false, "RIVER", "RVR", "RIVR")
	add("RNCH", weak, false, "RANCH", "RANCHES", "RNCHS")
	add("ROW", strong, false)
	add("RTE", strong, route, "ROUTE")
	add("RUN", strong, false)
	add("SHR", weak, false, "SHORE", "SHOAR")
	add("SPGS", weak, false, "SPRINGS", "SPNGS", "SPRNGS")
	add("SQ", strong, false, "SQUARE", "SQR", "SQRE", "SQU")
	add("ST", strong, false, "STREET", "STRT", "STR")
	add("STA", weak, false, "STATION", "STATN", "STN")
	add("TER", strong, false, "TERRACE", "TERR")
	add("TPKE", strong, route, "TURNPIKE", "TRNPK", "TURNPK")
	add("TRCE", strong, false, "TRACE", "TRACES")
	add("TRL", strong, false, "TRAIL", "TRAILS", "TRLS")
	add("VIS", weak, false, "VISTA", "VIST", "VST", "VSTA")
	add("VLG", weak, false, "VILLAGE", "VILL", "VILLAG", "VILLG", "VILLIAGE")
	add("VLY", weak, false, "VALLEY", "VALLY", "VLLY")
	add("VW", weak, false, "VIEW")
	add("WALK", strong, false)
	add("WAY", strong, false, "WY")
	add("XING", strong, false, "CROSSING", "CRSSNG")
}

// directionals maps directional words to their abbreviation.
var directionals = map[string]string{
	"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
	"NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
	"N": "N", "S": "S", "E": "E", "W": "W",
	"NE": "NE", "NW": "NW", "SE": "SE", "SW": "SW",
}

// unitInfo describes a secondary unit designator (Pub 28 Appendix C2).
type unitInfo struct {
	abbr      string
	needRange bool // "APT 4" needs the 4; "REAR" stands alone
}

// units maps designators to their canonical form. APT, SUITE and UNIT all
// become "#": people and customer systems write the same door all three
// ways, and a building does not number its apartments and its suites
// separately, so "APT 4", "UNIT 4", "STE 4" and "#4" must match.
var units = map[string]unitInfo{
	"#": {"#", true}, "APT": {"#", true}, "APARTMENT": {"#", true},
	"STE": {"#", true}, "SUITE": {"#", true}, "UNIT": {"#", true},
	"BLDG": {"BLDG", true}, "BUILDING": {"BLDG", true},
	"DEPT": {"DEPT", true}, "DEPARTMENT": {"DEPT", true},
	"FL": {"FL", true}, "FLR": {"FL", true}, "FLOOR": {"FL", true},
	"HNGR": {"HNGR", true}, "HANGAR": {"HNGR", true},
	"LOT":  {"LOT", true},
	"PIER": {"PIER", true},
	"RM":   {"RM", true}, "ROOM": {"RM", true},
	"SLIP": {"SLIP", true},
	"SPC":  {"SPC", true}, "SPACE": {"SPC", true},
	"STOP": {"STOP", true},
	"TRLR": {"TRLR", true}, "TRAILER": {"TRLR", true},
	"BSMT": {"BSMT", false}, "BASEMENT": {"BSMT", false},
	"FRNT": {"FRNT", false}, "FRONT": {"FRNT", false},
	"LBBY": {"LBBY", false}, "LOBBY": {"LBBY", false},
	"LOWR": {"LOWR", false}, "LOWER": {"LOWR", false},
	"OFC": {"OFC", false}, "OFFICE": {"OFC", false},
	"PH": {"PH", false}, "PENTHOUSE": {"PH", false},
	"REAR": {"REAR", false},
	"SIDE": {"SIDE", false},
	"UPPR": {"UPPR", false}, "UPPER": {"UPPR", false},
}

// gluedUnits are designators people type glued to their number ("APT4",
// "STE200"); longest first so "APARTMENT4" is not read as "APT" + "ARTMENT4".
var gluedUnits = []string{"APARTMENT", "SUITE", "UNIT", "ROOM", "FLOOR", "BLDG", "APT", "STE", "FLR", "RM", "FL"}

// states holds US state and territory codes and names; a trailing one is
// the last line of the address, which the ZIP already pins down.
var states = map[string]bool{}

// stateNames holds the multi-word state names, as token sequences.
var stateNames = [][]string{}

func init() {
	for _, c := range []string{
		"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
		"IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
		"NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
		"VT", "VA", "WA", "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP", "AA", "AE", "AP",
	} {
		states[c] = true
	}
	for _, n := range []string{
		"ALABAMA", "ALASKA", "ARIZONA", "ARKANSAS", "CALIFORNIA", "COLORADO", "CONNECTICUT",
		"DELAWARE", "FLORIDA", "GEORGIA", "HAWAII", "IDAHO", "ILLINOIS", "INDIANA", "IOWA",
		"KANSAS", "KENTUCKY", "LOUISIANA", "MAINE", "MARYLAND", "MASSACHUSETTS", "MICHIGAN",
		"MINNESOTA", "MISSISSIPPI", "MISSOURI", "MONTANA", "NEBRASKA", "NEVADA", "OHIO",
		"OKLAHOMA", "OREGON", "PENNSYLVANIA", "TENNESSEE", "TEXAS", "UTAH", "VERMONT",
		"VIRGINIA", "WASHINGTON", "WISCONSIN", "WYOMING", "GUAM",
	} {
		states[n] = true
	}
	for _, n := range []string{
		"NEW HAMPSHIRE", "NEW JERSEY", "NEW MEXICO", "NEW YORK", "NORTH CAROLINA",
		"NORTH DAKOTA", "SOUTH CAROLINA", "SOUTH DAKOTA", "WEST VIRGINIA", "RHODE ISLAND",
		"DISTRICT OF COLUMBIA", "PUERTO RICO",
	} {
		stateNames = append(stateNames, splitSpace(n))
	}
}

// numberWords turns a spelled-out house number ("ONE Microsoft Way") into
// digits.
var numberWords = map[string]string{
	"ONE": "1", "TWO": "2", "THREE": "3", "FOUR": "4", "FIVE": "5", "SIX": "6", "SEVEN": "7",
	"EIGHT": "8", "NINE": "9", "TEN": "10", "ELEVEN": "11", "TWELVE": "12", "THIRTEEN": "13",
	"FOURTEEN": "14", "FIFTEEN": "15", "SIXTEEN": "16", "SEVENTEEN": "17", "EIGHTEEN": "18",
	"NINETEEN": "19", "TWENTY": "20",
}

// ordinalWords turns spelled-out ordinals in street names into numbers:
// "FIFTH AVE" is "5TH AVE".
var ordinalWords = map[string]int{
	"FIRST": 1, "SECOND": 2, "THIRD": 3, "FOURTH": 4, "FIFTH": 5, "SIXTH": 6, "SEVENTH": 7,
	"EIGHTH": 8, "NINTH": 9, "TENTH": 10, "ELEVENTH": 11, "TWELFTH": 12, "THIRTEENTH": 13,
	"FOURTEENTH": 14, "FIFTEENTH": 15, "SIXTEENTH": 16, "SEVENTEENTH": 17, "EIGHTEENTH": 18,
	"NINETEENTH": 19, "TWENTIETH": 20, "THIRTIETH": 30, "FORTIETH": 40, "FIFTIETH": 50,
	"SIXTIETH": 60, "SEVENTIETH": 70, "EIGHTIETH": 80, "NINETIETH": 90,
}

// tensWords are the first halves of compound ordinals ("TWENTY FIRST").
var tensWords = map[string]int{
	"TWENTY": 20, "THIRTY": 30, "FORTY": 40, "FIFTY": 50, "SIXTY": 60, "SEVENTY": 70,
	"EIGHTY": 80, "NINETY": 90,
}
