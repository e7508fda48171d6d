package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"

	pb "medchain/chaincode/go/medchainpb"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// casePage is one GetCase page: its records, bookmark and the encoded
// size of its records.
type casePage struct {
	records  []*pb.StoredRecord
	bookmark string
	bytes    int
	payload  int
}

// getCasePage runs GetCase(κ0[, bookmark]) and decodes the page.
func getCasePage(t *testing.T, l *ledger, p *participant, kappa0 []byte, bookmark *string) casePage {
	t.Helper()
	args := [][]byte{[]byte("GetCase"), kappa0}
	if bookmark != nil {
		args = append(args, []byte(*bookmark))
	}
	r := l.invoke(t, p, args...)
	if r.err != nil {
		t.Fatalf("GetCase: %v", r.err)
	}
	var page pb.CaseRecords
	if err := proto.Unmarshal(r.payload, &page); err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, record := range page.Records {
		size += protowire.SizeTag(1) + protowire.SizeBytes(proto.Size(record))
	}
	return casePage{records: page.Records, bookmark: page.Bookmark, bytes: size, payload: len(r.payload)}
}

// readAllPages reads a case page by page; every page but the last is
// non-empty and within the byte budget unless it holds one record.
func readAllPages(t *testing.T, l *ledger, p *participant, kappa0 []byte) ([]*pb.StoredRecord, []casePage) {
	t.Helper()
	var all []*pb.StoredRecord
	var pages []casePage
	var bookmark *string
	for {
		page := getCasePage(t, l, p, kappa0, bookmark)
		if page.bytes > maxPageBytes && len(page.records) > 1 {
			t.Fatalf("page %d holds %d bytes of records, over the budget of %d", len(pages), page.bytes, maxPageBytes)
		}
		if page.payload >= 4*1024*1024 {
			t.Fatalf("page %d is %d bytes, over gRPC's 4 MiB default", len(pages), page.payload)
		}
		all = append(all, page.records...)
		pages = append(pages, page)
		if page.bookmark == "" {
			return all, pages
		}
		if len(page.records) == 0 {
			t.Fatal("an empty page names a next page")
		}
		next := page.bookmark
		bookmark = &next
	}
}

// The per-submitter cap and GetCase's pages at the protocol's own
// constants (Rust: a_case_of_10000_records_is_read_through_pages,
// the_record_cap_per_submitter_holds): the doctor stores 10 000 records,
// the 10 001st is refused with nothing written, and the whole case reads
// back through pages in index order.
func TestTenThousandRecordsArePagedAndTheSubmittersCapHolds(t *testing.T) {
	s := newScenario(t)
	kappa0, others := s.answered(t)
	record := caseRecord(t, kappa0, s.doctor, others(s.doctor), 4)
	for n := range maxRecordsPerSubmitter {
		binary.BigEndian.PutUint32(record.Ciphertext, uint32(n))
		mustStore(t, s.l, s.doctor, wrap(t, "txd", record))
	}
	countKey, err := recordCountKey(kappa0, s.doctor.ind())
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint64(s.l.state[countKey]); got != maxRecordsPerSubmitter {
		t.Fatalf("the doctor's counter says %d", got)
	}
	before := len(s.l.state)
	binary.BigEndian.PutUint32(record.Ciphertext, maxRecordsPerSubmitter)
	expectRefusal(t, store_(s.l, t, s.doctor, wrap(t, "txd", record)), Invalid,
		"invalid: txd: participant "+indHex(s.doctor.ind())+" has stored 10000 records in case "+recordStateKey(kappa0)+
			", the most one submitter may store in a case (10000); open a new case to record more")
	if len(s.l.state) != before || binary.BigEndian.Uint64(s.l.state[countKey]) != maxRecordsPerSubmitter {
		t.Fatal("a refused record wrote something")
	}
	// Another submitter's counter is its own: the pharmacist still stores.
	mustStore(t, s.l, s.pharmacist, wrap(t, "txm", caseRecord(t, kappa0, s.doctor, others(s.pharmacist), 4)))

	queriesBefore := s.l.pagedQueries
	all, pages := readAllPages(t, s.l, s.patient, kappa0)
	if want := 1 + 3 + maxRecordsPerSubmitter + 1; len(all) != want {
		t.Fatalf("%d records, want %d", len(all), want)
	}
	if want := (len(all) + casePageEntries - 1) / casePageEntries; len(pages) != want || s.l.pagedQueries-queriesBefore != want {
		t.Fatalf("%d pages (%d queries), want %d of %d index entries", len(pages), s.l.pagedQueries-queriesBefore, want, casePageEntries)
	}
	seen := map[string]bool{}
	for i, r := range all {
		if seen[string(r.Key)] {
			t.Fatalf("record %x twice", r.Key)
		}
		seen[string(r.Key)] = true
		if sum := sha256Of(r.Value); !bytes.Equal(sum, r.Key) || r.TxId == "" {
			t.Fatalf("record %d does not match its key", i)
		}
	}
	if all[0].Type != "txtc" || all[len(all)-1].Type != "txm" {
		t.Fatalf("records are not in index order: %s … %s", all[0].Type, all[len(all)-1].Type)
	}
}

// A case at the byte cap (records of the largest padded size) pages with
// one or two records a page, each page within the budget (Rust:
// a_case_at_the_byte_cap_pages_by_the_byte_budget).
func TestACaseAtTheByteCapPagesByTheByteBudget(t *testing.T) {
	s := newScenario(t)
	kappa0, others := s.answered(t)
	record := caseRecord(t, kappa0, s.doctor, others(s.doctor), 4)
	record.Ciphertext = make([]byte, maxCiphertextBytes)
	for n := range 5 {
		record.Ciphertext[0] = byte(n)
		mustStore(t, s.l, s.doctor, wrap(t, "txd", record))
	}
	all, pages := readAllPages(t, s.l, s.patient, kappa0)
	if len(all) != 1+3+5 {
		t.Fatalf("%d records", len(all))
	}
	for i, page := range pages {
		big := 0
		for _, r := range page.records {
			if r.Type == "txd" {
				big++
			}
		}
		if big != 1 {
			t.Fatalf("page %d holds %d records of 1 MiB, want exactly 1 (the budget is %d bytes)", i, big, maxPageBytes)
		}
		if page.bytes > maxPageBytes {
			t.Fatalf("page %d holds %d bytes", i, page.bytes)
		}
	}
	if len(pages) != 5 {
		t.Fatalf("%d pages, want 5", len(pages))
	}
}

// A bookmark must be a key of this case's index (Rust:
// a_bookmark_that_is_not_a_key_of_the_cases_index_is_refused).
func TestABookmarkThatIsNotAKeyOfTheCasesIndexIsRefused(t *testing.T) {
	s := newScenario(t)
	kappa0, _ := s.answered(t)
	other := bytes.Repeat([]byte{9}, 32)
	otherCase, _ := compositeKey(caseIndexType, recordStateKey(other), "0000000000000000001.000000000", "tx")
	tagOfCase, _ := tagKey(kappa0)
	short, _ := compositeKey(caseIndexType, recordStateKey(kappa0), "0000000000000000001.000000000")
	want := "invalid: argument: the bookmark is not a key of the index of case " + recordStateKey(kappa0) +
		"; pass the bookmark of this case's previous page, or none for its first page"
	for _, bookmark := range [][]byte{{}, []byte("x"), []byte(otherCase), []byte(tagOfCase), []byte(short), {0, 0xff, 0}} {
		expectRefusal(t, s.l.invoke(t, s.patient, []byte("GetCase"), kappa0, bookmark), Invalid, want)
	}
	// A key of the case's index (here one past every entry) is a bookmark:
	// the page is empty and the last.
	past, _ := compositeKey(caseIndexType, recordStateKey(kappa0), "9999999999999999999.999999999", "tx")
	page := getCasePage(t, s.l, s.patient, kappa0, &past)
	if len(page.records) != 0 || page.bookmark != "" {
		t.Fatalf("past the end: %d records, bookmark %q", len(page.records), page.bookmark)
	}
	expectRefusal(t, s.l.invoke(t, s.patient, []byte("GetCase"), kappa0, []byte(past), []byte("x")), BadCall,
		"bad_call: GetCase takes the case key κ0 and an optional bookmark, got 3 arguments")
	expectRefusal(t, s.l.invoke(t, s.patient, []byte("GetCase")), BadCall,
		"bad_call: GetCase takes the case key κ0 and an optional bookmark, got 0 arguments")
	if !strings.HasPrefix(past, "\x00medchain.case\x00") {
		t.Fatal("not a composite key")
	}
}

func sha256Of(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}
